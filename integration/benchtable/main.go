package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// options are the command-line flags, after -quick is applied.
type options struct {
	cfkd, cfkctl string
	ns           []int
	idle         time.Duration
	logLines     int
	storm        time.Duration
	stormK       int
	rounds       int
	repeats      []int // rounds of the start and stop rows, one per ns
	logRounds    int   // interleaved rounds of the log rows
	onlyLog      bool  // -only log: the log rows alone
	onlyDecl     bool  // -only decl: the pipelined declarations alone, per N
	out          string
	supervisord  string // its path, "" when not measured
	perfDir      string // -perf: perf record of cfkd's phases there
	tmp          string
	formatter    string // -formatter: run as the log floor (floor_log.go)
	copier       string // -copier: run as the log rows' raw copier (floor_log.go)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "benchtable: "+format+"\n", args...)
}

// parseFlags reads args (without the program name). The second result is
// the writer mode's line count, > 0 when the tool runs as the log writer.
func parseFlags(args []string) (*options, int, error) {
	fs := flag.NewFlagSet("benchtable", flag.ContinueOnError)
	o := &options{}
	var ns, sv, repeat string
	var quick bool
	var writer int
	fs.StringVar(&o.cfkd, "cfkd", "bin/cfkd", "path of the cfkd binary")
	fs.StringVar(&o.cfkctl, "cfkctl", "bin/cfkctl", "path of the cfkctl binary")
	fs.StringVar(&ns, "n", "200,1000,9000", "comma list of service counts, one table each")
	fs.DurationVar(&o.idle, "idle", 130*time.Second, "idle CPU window (130s: it holds the Go runtime's collection every two minutes)")
	fs.IntVar(&o.logLines, "loglines", 1000000, "lines (of 100 bytes) of the log throughput test")
	fs.DurationVar(&o.storm, "storm", 20*time.Second, "restart storm window")
	fs.IntVar(&o.stormK, "storm-k", 20, "services in the restart storm")
	fs.IntVar(&o.rounds, "rounds", 1000, "status round trips")
	fs.StringVar(&repeat, "repeat", "", "interleaved rounds of the start and stop rows and of the pipelined declarations (the baseline, its floor with pipes, then cfkd): one count for every N, or a comma list with one per -n; default 9 up to N = 1000, 5 above (a round of 9,000 takes about 20 s); the rows show medians")
	fs.IntVar(&o.logRounds, "logrounds", 9, "interleaved rounds of the log rows (direct, the floor, cfkd, then supervisord); the rows show medians")
	var only string
	fs.StringVar(&only, "only", "", `"log": measure the log rows alone (no N tables, no storm); "decl": the pipelined declarations alone, per N`)
	fs.StringVar(&o.out, "out", "", "also write the markdown to this file")
	fs.BoolVar(&quick, "quick", false, "smoke run: -n 20 -idle 2s -loglines 20000 -storm 5s (flags given override)")
	fs.StringVar(&sv, "supervisord", "auto", `supervisord column: "auto" (when on PATH), "off", or a path`)
	fs.StringVar(&o.tmp, "tmp", os.TempDir(), "directory for the throwaway homes")
	fs.StringVar(&o.perfDir, "perf", "", "profile cfkd with `perf record -g` in the first round of each phase (start, status, idle, stop, decl), files DIR/nN-PHASE.data")
	fs.IntVar(&writer, "writer", 0, "internal: write this many lines of 100 bytes to stdout and exit")
	fs.StringVar(&o.formatter, "formatter", "", "internal: the log floor, stdin's lines as records into this file")
	fs.StringVar(&o.copier, "copier", "", "internal: the log rows' raw copier, stdin's bytes as they are into this file")
	if err := fs.Parse(args); err != nil {
		return nil, 0, err
	}
	if fs.NArg() > 0 {
		return nil, 0, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if writer > 0 || o.formatter != "" || o.copier != "" {
		return o, writer, nil
	}
	if quick {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		for name, v := range map[string]string{"n": "20", "idle": "2s", "loglines": "20000", "storm": "5s", "rounds": "200", "repeat": "1", "logrounds": "1"} {
			if !set[name] {
				fs.Set(name, v)
			}
		}
		if !set["n"] {
			ns = "20"
		}
	}
	var err error
	if o.ns, err = parseCounts("-n", ns); err != nil {
		return nil, 0, err
	}
	if o.repeats, err = parseRepeat(repeat, o.ns); err != nil {
		return nil, 0, err
	}
	if o.logLines <= 0 || o.stormK <= 0 || o.rounds <= 0 || o.idle <= 0 || o.storm <= 0 || o.logRounds <= 0 {
		return nil, 0, fmt.Errorf("-loglines, -storm-k, -rounds, -logrounds, -idle and -storm must be positive")
	}
	switch only {
	case "":
	case "log":
		o.onlyLog = true
	case "decl":
		o.onlyDecl = true
	default:
		return nil, 0, fmt.Errorf(`-only: %q (want "log" or "decl")`, only)
	}
	if o.perfDir != "" {
		if o.perfDir, err = filepath.Abs(o.perfDir); err != nil {
			return nil, 0, err
		}
		if err := os.MkdirAll(o.perfDir, 0o755); err != nil {
			return nil, 0, err
		}
		if _, err := exec.LookPath("perf"); err != nil {
			return nil, 0, fmt.Errorf("-perf: %w", err)
		}
	}
	if o.supervisord, err = findSupervisord(sv); err != nil {
		return nil, 0, err
	}
	return o, 0, nil
}

func main() {
	o, writer, err := parseFlags(os.Args[1:])
	if err == flag.ErrHelp {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(2)
	}
	if writer > 0 {
		if err := writeLines(writer); err != nil {
			os.Exit(1)
		}
		return
	}
	if o.formatter != "" {
		if err := formatLines(o.formatter); err != nil {
			fmt.Fprintln(os.Stderr, "benchtable -formatter:", err)
			os.Exit(1)
		}
		return
	}
	if o.copier != "" {
		if err := copyRaw(o.copier); err != nil {
			fmt.Fprintln(os.Stderr, "benchtable -copier:", err)
			os.Exit(1)
		}
		return
	}
	cl := &cleaner{}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	var interrupted atomic.Bool
	go func() {
		s := <-sigs
		interrupted.Store(true)
		logf("%v: stopping every process this run started", s)
		cl.run()
		sweep(cl.marker) // what the main goroutine may have started meanwhile
		cl.removeDir()
		os.Exit(130)
	}()
	err = run(cl, o, os.Stdout)
	if interrupted.Load() {
		select {} // the signal handler finishes the clean-up and exits
	}
	if err != nil {
		logf("%v", err)
		os.Exit(1)
	}
}

// parseRepeat reads -repeat for the counts ns: empty is the default (9
// rounds up to N = 1,000, where a round takes a second or two and the
// median of 5 still moved by tens of percent between runs; 5 above), one
// count is every N's, a list gives one per N.
func parseRepeat(v string, ns []int) ([]int, error) {
	out := make([]int, len(ns))
	if v == "" {
		for i, n := range ns {
			out[i] = 5
			if n <= 1000 {
				out[i] = 9
			}
		}
		return out, nil
	}
	counts, err := parseCounts("-repeat", v)
	if err != nil {
		return nil, err
	}
	switch len(counts) {
	case len(ns):
		return counts, nil
	case 1:
		for i := range out {
			out[i] = counts[0]
		}
		return out, nil
	}
	return nil, fmt.Errorf("-repeat %q: give one count, or one per -n (%d)", v, len(ns))
}

// parseCounts reads the comma list of positive counts v of flag name.
func parseCounts(name, v string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(v, ",") {
		k, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || k <= 0 {
			return nil, fmt.Errorf("%s: bad count %q", name, f)
		}
		out = append(out, k)
	}
	return out, nil
}

// repeatFor is the rounds of the start and stop rows for n services.
func (o *options) repeatFor(n int) int {
	for i, m := range o.ns {
		if m == n {
			return o.repeats[i]
		}
	}
	return 1
}
