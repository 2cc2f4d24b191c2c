package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// findSupervisord resolves the -supervisord flag.
func findSupervisord(v string) (string, error) {
	switch v {
	case "off", "":
		return "", nil
	case "auto":
		p, err := exec.LookPath("supervisord")
		if err != nil {
			return "", nil
		}
		return p, nil
	}
	if _, err := os.Stat(v); err != nil {
		return "", fmt.Errorf("-supervisord: %w", err)
	}
	return v, nil
}

// run measures everything and writes the markdown to w (and -out). Every
// process it starts is stopped before it returns.
func run(cl *cleaner, o *options, w io.Writer) (err error) {
	for _, b := range []string{o.cfkd, o.cfkctl} {
		if _, err := os.Stat(b); err != nil {
			return fmt.Errorf("%w (run `make build` first, or give -cfkd/-cfkctl)", err)
		}
	}
	dir, err := os.MkdirTemp(o.tmp, "cfk-benchtable-")
	if err != nil {
		return err
	}
	cl.marker, cl.dir = dir, dir
	defer func() {
		cl.run()
		if err == nil {
			cl.removeDir()
		} else {
			logf("kept %s for inspection", dir)
		}
	}()

	var out bytes.Buffer
	fmt.Fprintf(&out, "## cfk benchmarks\n\n")
	fmt.Fprintf(&out, "- date: %s\n", time.Now().Format("2006-01-02 15:04:05 MST"))
	fmt.Fprintf(&out, "- machine: %s; load average at start %s\n", machine(), loadavg())
	d, err := startDaemon(cl, o.cfkd, filepath.Join(dir, "version"))
	if err != nil {
		return err
	}
	fmt.Fprintf(&out, "- cfkd: %s (%s)\n", cfkctlVersion(cl, o.cfkctl, d.sock), o.cfkd)
	d.shutdown()
	if o.supervisord != "" {
		fmt.Fprintf(&out, "- supervisord: %s (%s)\n", supervisordVersion(o.supervisord), o.supervisord)
	} else {
		fmt.Fprintf(&out, "- supervisord: not measured (not on PATH, or -supervisord off)\n")
	}
	fmt.Fprintf(&out, "- services: `sleep 1000` each; idle window %v; %d status rounds\n", o.idle, o.rounds)
	if o.perfDir != "" {
		fmt.Fprintf(&out, "- profiled: `perf record -g` of cfkd in the first round of each phase (%s): those figures carry perf's cost\n", o.perfDir)
	}
	fmt.Fprintln(&out)

	var failed []error
	for _, n := range o.ns {
		if o.onlyLog {
			break
		}
		if cl.isClosed() {
			return fmt.Errorf("interrupted")
		}
		bench := benchN
		if o.onlyDecl {
			bench = benchDecl
		}
		t, err := bench(cl, o, filepath.Join(dir, fmt.Sprintf("n%d", n)), n)
		if err != nil {
			failed = append(failed, fmt.Errorf("N=%d: %w", n, err))
			t.note("**cfkd run failed: %v**", err)
		}
		t.render(&out, o.supervisord != "")
	}
	if cl.isClosed() {
		return fmt.Errorf("interrupted")
	}
	if !o.onlyDecl {
		t, err := benchOnce(cl, o, filepath.Join(dir, "once"))
		if err != nil {
			failed = append(failed, err)
			t.note("**cfkd run failed: %v**", err)
		}
		t.render(&out, o.supervisord != "")
	}
	fmt.Fprintf(&out, "load average at the end: %s\n", loadavg())

	w.Write(out.Bytes())
	if o.out != "" {
		if werr := os.WriteFile(o.out, out.Bytes(), 0o644); werr != nil {
			failed = append(failed, werr)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%v", failed)
	}
	return nil
}
