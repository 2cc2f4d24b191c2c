package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestShutdownSaysTheRecordsAStalledDestinationLost: a shutdown whose
// service's destination is a FIFO whose reader reads nothing loses the
// records queued for it, and says so in cfkd's own log before its last
// record, `cfkd exiting` (REFERENCE §6.2, §7.4), with the exact count
// of the records lost, once: the close of the log files said it on
// stderr alone (/dev/null under -d), cfkd's own destination closed
// already; then, once the shutdown said it, that close said it again on
// stderr, `closed with N records it had not taken`, with another count.
func TestShutdownSaysTheRecordsAStalledDestinationLost(t *testing.T) {
	home, fifo := stalledFifoHome(t)
	d := startDaemon(t, home)
	c := d.dial()
	floodHeld(c)
	start := time.Now()
	c.ok("command shutdown")
	if err := d.waitExit(); err != nil {
		t.Fatalf("exit: %v\n%s", err, d.stderr.String())
	}
	t.Logf("shutdown took %v", time.Since(start))
	b, err := os.ReadFile(filepath.Join(home, "cfkd.log"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if last := lines[len(lines)-1]; !strings.Contains(last, "cfkd exiting") {
		t.Errorf("the log's last record is not cfkd exiting: %q", last)
	}
	want := regexp.MustCompile(`WARN cfkd - shutdown: a log destination did not take its records within 1s: [1-9]\d* records lost destination=file:` + regexp.QuoteMeta(fifo) + `$`)
	found := 0
	for _, l := range lines {
		if want.MatchString(l) {
			found++
		}
	}
	if found != 1 {
		t.Errorf("the loss is said %d times in cfkd's log (want once, %q); its end:\n%s", found, want, strings.Join(lines[max(0, len(lines)-6):], "\n"))
	}
	if e := d.stderr.String(); strings.Contains(e, "records it had not taken") {
		t.Errorf("the loss is said again on stderr:\n%s", e)
	}
}

// TestShutdownWithAStalledStderrTakesTheDrainsSecond: a cfkd whose
// stderr is a pipe whose reader hangs, and its services' destination,
// shuts down within the drain's 1 s (REFERENCE §7.4), not 2: the close
// of the log files waited a second more for stderr, which the drain had
// given up on.
func TestShutdownWithAStalledStderrTakesTheDrainsSecond(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "log.config"), []byte("cfkd = file:cfkd.log\nservices = stderr\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rd, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rd.Close() }) // never read
	d := runDaemonCmd(t, home, exec.Command(cfkdBin, "--home", home), wr)
	wr.Close()
	d.acceptsOnHome()
	c := d.dial()
	floodHeld(c)
	c.ok("command shutdown")
	start := time.Now()
	if err := d.waitExit(); err != nil {
		t.Fatalf("exit: %v", err)
	}
	// the drain's 1 s, and the few milliseconds before it; the close
	// waited 1 s more
	if took := time.Since(start); took >= 1900*time.Millisecond {
		t.Errorf("cfkd exited %v after its shutdown's answer: it waited for stderr twice", took)
	}
	if log := readLog(home); !strings.Contains(log, "did not take its records within 1s: up to ") || !strings.Contains(log, "destination=stderr") {
		t.Errorf("the loss of stderr is not said; the log:\n%s", log)
	}
}

// stalledFifoHome makes a cfkd home whose log.config sends service f's
// lines to fifo, a FIFO whose reader, open until the test ends, never
// reads: the destination takes 64 KiB, then cfkd queues what follows,
// then holds the service in its write.
func stalledFifoHome(t *testing.T) (home, fifo string) {
	t.Helper()
	home = filepath.Join(t.TempDir(), "home")
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	fifo = filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	rd, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rd.Close() })
	if err := os.WriteFile(filepath.Join(home, "log.config"), []byte("service.f = file:"+fifo+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return home, fifo
}

// floodHeld starts a service f that writes its output as fast as it can,
// and waits until it is held in its write: cfkd stopped reading its pipe,
// its destination stalled.
func floodHeld(c *client) {
	c.ok("service f cmd=yes flood-line", "command start service f")
	c.until("f is held in its write", func() bool {
		pid, err := strconv.Atoi(c.status("f")[2])
		if err != nil {
			return false
		}
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/wchan")
		return err == nil && strings.Contains(string(b), "pipe_write")
	})
}
