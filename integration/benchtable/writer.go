package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// lineLen is the length of one line the writer writes, "\n" included.
const lineLen = 100

// eachVar in the writer's environment makes it write each line with its
// own write(2), as a logging library does, instead of 64 KiB at a time as
// stdio's full buffering does.
const eachVar = "CFK_BENCH_WRITE_EACH"

// writeLines is the writer mode (-writer N): N lines of lineLen bytes on
// stdout, as fast as a buffered writer goes (or one write each, eachVar).
func writeLines(n int) error {
	size := 64 << 10
	if os.Getenv(eachVar) != "" {
		size = lineLen
	}
	w := bufio.NewWriterSize(os.Stdout, size)
	line := bytes.Repeat([]byte("x"), lineLen)
	line[lineLen-1] = '\n'
	for i := 0; i < n; i++ {
		copy(line, fmt.Sprintf("%09d ", i))
		if _, err := w.Write(line); err != nil {
			return err
		}
	}
	return w.Flush()
}

// eachEnv is the writer's extra environment for a mode.
func eachEnv(each bool) string {
	if each {
		return eachVar + "=1"
	}
	return eachVar + "="
}

// writerArgv is the argv of the writer mode of this very binary.
func writerArgv(n int) ([]string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	return []string{self, "-writer", fmt.Sprint(n)}, nil
}

// lineCounter counts the lines of a file that grows, reading only what
// was added since the last call.
type lineCounter struct {
	path  string
	off   int64
	lines int
	buf   []byte
}

func (lc *lineCounter) count() int {
	f, err := os.Open(lc.path)
	if err != nil {
		return lc.lines
	}
	defer f.Close()
	if lc.buf == nil {
		lc.buf = make([]byte, 1<<20)
	}
	for {
		k, err := f.ReadAt(lc.buf, lc.off)
		lc.lines += bytes.Count(lc.buf[:k], []byte{'\n'})
		lc.off += int64(k)
		if err == io.EOF || k == 0 || err != nil {
			return lc.lines
		}
	}
}

// waitLines waits until path holds want lines or the deadline passes; it
// returns the time from t0 to the moment they were all there (or to the
// deadline) and the lines seen.
//
// The watcher must not eat the CPU of what it watches (2 cores: the writer,
// the supervisor's reader and its file writer already share them): every
// record of the file has the length of its first one (the writer's lines
// are all alike, and so is cfkd's prefix within a run), so it stats the
// file until it is want records long, and only then counts its lines (and
// goes on counting if some are missing).
func waitLines(path string, want int, t0 time.Time, deadline time.Duration) (time.Duration, int) {
	recLen := 0
	ok := until(deadline, 2*time.Millisecond, func() bool {
		if recLen == 0 {
			recLen = firstLineLen(path)
			return false
		}
		st, err := os.Stat(path)
		return err == nil && st.Size() >= int64(want)*int64(recLen)
	})
	el := time.Since(t0)
	lc := &lineCounter{path: path}
	if ok && lc.count() >= want {
		return el, lc.lines
	}
	until(deadline-time.Since(t0), 5*time.Millisecond, func() bool { return lc.count() >= want })
	return time.Since(t0), lc.lines
}

// firstLineLen is the length of the first line of path, "\n" included, or
// 0 while it has none.
func firstLineLen(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	buf := make([]byte, 4096)
	n, _ := f.Read(buf)
	if i := bytes.IndexByte(buf[:n], '\n'); i >= 0 {
		return i + 1
	}
	return 0
}

// logDirect runs the writer with its stdout on a plain file: the baseline
// of the log rows. It returns lines per second.
func logDirect(cl *cleaner, dir string, n int, each bool) (float64, error) {
	argv, err := writerArgv(n)
	if err != nil {
		return 0, err
	}
	path := filepath.Join(dir, "direct.log")
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env, cmd.Stdout = cl.env(eachEnv(each)), f
	t0 := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("writer: %w", err)
	}
	el := time.Since(t0)
	if got := (&lineCounter{path: path}).count(); got != n {
		return 0, fmt.Errorf("direct: %d lines in %s, want %d", got, path, n)
	}
	return float64(n) / el.Seconds(), nil
}

// logDeadline is how long a supervisor gets to log n lines.
func logDeadline(n int) time.Duration {
	return 60*time.Second + time.Duration(n)*100*time.Microsecond
}

// logResult is a supervisor's log throughput: lines per second, and
// whether every line arrived before the deadline.
type logResult struct {
	rate     float64
	lines    int
	complete bool
	cpu      time.Duration // the supervisor's CPU meanwhile (cfkd's only)
}

// logCfkd starts the writer as cfkd service logw (routed to logw.log) and
// counts the lines reaching that file.
func logCfkd(cl *cleaner, o *options, dir string, each bool) (res logResult, err error) {
	d, c, done, err := session(cl, o, dir)
	if err != nil {
		return res, err
	}
	defer done()
	argv, err := writerArgv(o.logLines)
	if err != nil {
		return res, err
	}
	q := fmt.Sprintf("[%q,%q,%q]", argv[0], argv[1], argv[2])
	if err := c.load([]string{"service logw cmd=" + q, "service logw startwait_secs=0", "service logw add_env=" + eachEnv(each)}); err != nil {
		return res, err
	}
	c0, t0 := procCPU(d.pid()), time.Now()
	if _, err := c.do("command start service logw"); err != nil {
		return res, err
	}
	el, got := waitLines(filepath.Join(d.home, "logw.log"), o.logLines, t0, logDeadline(o.logLines))
	return logResult{rate: float64(got) / el.Seconds(), lines: got, complete: got >= o.logLines, cpu: procCPU(d.pid()) - c0}, nil
}

// logSupervisord does the same with supervisord, stdout_logfile a plain
// file without rotation.
func logSupervisord(cl *cleaner, o *options, dir string, each bool) (res logResult, err error) {
	argv, err := writerArgv(o.logLines)
	if err != nil {
		return res, err
	}
	path := filepath.Join(dir, "logw.log")
	prog := svProgram{name: "logw", command: fmt.Sprintf("%s %s %s", argv[0], argv[1], argv[2]),
		extra: fmt.Sprintf("startsecs=0\nautorestart=false\nstdout_logfile=%s\nstdout_logfile_maxbytes=0\nstdout_logfile_backups=0\nenvironment=%s\"%v\"\n",
			path, eachVar+"=", map[bool]string{true: "1"}[each])}
	s, err := startSupervisord(cl, o.supervisord, dir, []svProgram{prog})
	if err != nil {
		return res, err
	}
	defer s.shutdown()
	t0 := time.Now()
	if _, err := s.rpc.call("supervisor.startProcess", "logw", false); err != nil {
		return res, err
	}
	el, got := waitLines(path, o.logLines, t0, logDeadline(o.logLines))
	return logResult{rate: float64(got) / el.Seconds(), lines: got, complete: got >= o.logLines}, nil
}
