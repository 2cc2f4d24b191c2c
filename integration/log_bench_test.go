package integration

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/logconf"
	"github.com/cfk/cfk/osproc"
	"github.com/sirupsen/logrus"
)

// writerMain writes args[0] lines of 100 bytes (99 and "\n") on stdout,
// one write(2) each as a logging library does (or, with
// CFK_WRITER_BUFFERED set, 64 KiB at a time as stdio does); the last one
// is of "E"s.
// It is the log-throughput benchmark's service, and its own baseline
// writing straight to a file.
func writerMain(args []string) int {
	n, err := strconv.Atoi(args[0])
	if err != nil {
		return 2
	}
	out := io.Writer(os.Stdout)
	var buffered *bufio.Writer
	if os.Getenv("CFK_WRITER_BUFFERED") != "" { // stdio's full buffering
		buffered = bufio.NewWriterSize(os.Stdout, 64<<10)
		out = buffered
	}
	line := append(bytes.Repeat([]byte("x"), 99), '\n')
	for i := 0; i < n; i++ {
		if i == n-1 {
			line = append(bytes.Repeat([]byte("E"), 99), '\n')
		}
		if _, err := out.Write(line); err != nil {
			return 1
		}
	}
	if buffered != nil && buffered.Flush() != nil {
		return 1
	}
	return 0
}

// BenchmarkLogThroughput runs a service that writes CFK_LOG_LINES lines
// (default 200,000) of 100 bytes as fast as it can, one write each,
// through the tree and a logconf.Router to a file, until the file holds
// the last line; and in the same iteration the same program writing
// straight to a file (the baseline). It reports lines per second both ways.
func BenchmarkLogThroughput(b *testing.B) {
	n := 200000
	if v, err := strconv.Atoi(os.Getenv("CFK_LOG_LINES")); err == nil && v > 0 {
		n = v
	}
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	var direct, cfk time.Duration
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		direct += writeDirect(b, exe, filepath.Join(dir, "direct.log"), n)
		cfk += logThroughTree(b, dir, exe, n)
	}
	rate := func(d time.Duration) float64 { return float64(n) * float64(b.N) / d.Seconds() }
	b.ReportMetric(rate(direct), "direct-lines/s")
	b.ReportMetric(rate(cfk), "cfk-lines/s")
	b.ReportMetric(rate(cfk)/rate(direct), "ratio")
	b.ReportMetric(0, "ns/op")
}

// writeDirect runs the writer with its stdout on path and returns how long
// it took to exit.
func writeDirect(b *testing.B, exe, path string, n int) time.Duration {
	done := make(chan syscall.WaitStatus, 1)
	start := time.Now()
	_, err := launcher.Launch(osproc.Spec{
		Argv: []string{"/bin/sh", "-c", `exec "$0" "$1" > "$2"`, exe, strconv.Itoa(n), path},
		Env:  append(os.Environ(), helperEnv+"=writer", "CFK_WRITER_BUFFERED="+os.Getenv("CFK_WRITER_BUFFERED")),
	}, func(_ int, ws syscall.WaitStatus) { done <- ws })
	if err != nil {
		b.Fatal(err)
	}
	select {
	case ws := <-done:
		if ws.ExitStatus() != 0 {
			b.Fatalf("writer: status %#x", ws)
		}
	case <-time.After(5 * time.Minute):
		b.Fatal("the writer did not finish")
	}
	took := time.Since(start)
	if !endsWithLast(path) {
		b.Fatalf("%s lacks the last line", path)
	}
	return took
}

// logThroughTree runs the writer as service w, its stdout routed to
// dir/w.log, and returns the time from start until the file holds its last
// line.
func logThroughTree(b *testing.B, dir, exe string, n int) time.Duration {
	log, svcLog := logrus.New(), logrus.New()
	router := logconf.NewRouter(dir, log, svcLog)
	defer router.Close()
	cfg, err := logconf.Parse("bench", strings.NewReader("level = info\ncfkd = none\nservices = none\nservice.w.out = file:w.log\n"))
	if err != nil {
		b.Fatal(err)
	}
	if err := router.Apply(cfg); err != nil {
		b.Fatal(err)
	}
	tree, err := actors.Start(actors.Options{Launcher: newTreeLauncher(), Log: log, ServiceLog: svcLog, Lines: router})
	if err != nil {
		b.Fatal(err)
	}
	defer tree.Stop()
	defer tree.Exec("command shutdown", time.Minute)
	for _, l := range []string{
		fmt.Sprintf(`service w cmd=["%s", "%d"]`, exe, n),
		"service w add_env=" + helperEnv + "=writer",
		"service w add_env=CFK_WRITER_BUFFERED=" + os.Getenv("CFK_WRITER_BUFFERED"),
		"service w startwait_secs=0",
	} {
		if r := tree.Exec(l, time.Minute); r.Err != nil {
			b.Fatal(r.Err)
		}
	}
	path := filepath.Join(dir, "w.log")
	start := time.Now()
	if r := tree.Exec("command start service w", time.Minute); r.Err != nil {
		b.Fatal(r.Err)
	}
	end := start.Add(5 * time.Minute)
	for !endsWithLast(path) {
		if time.Now().After(end) {
			b.Fatalf("%s lacks the last line after 5 minutes", path)
		}
		time.Sleep(5 * time.Millisecond) // the benchmark's clock, not cfk's
	}
	return time.Since(start)
}

// endsWithLast reports whether the file ends with the writer's last line.
func endsWithLast(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.Size() < 100 {
		return false
	}
	buf := make([]byte, 100)
	if _, err := f.ReadAt(buf, st.Size()-100); err != nil {
		return false
	}
	return bytes.Equal(buf, append(bytes.Repeat([]byte("E"), 99), '\n'))
}
