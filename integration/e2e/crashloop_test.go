package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The crash-loop numbers of REFERENCE §2.3, on the real cfkd: a service
// that exits at once (startwait 0) is started at most 12 times in 20 s,
// with cfkd under 1% of a core; one that crashes after 1.2 s (startwait
// 1) at most 8 times in 30 s. Each start appends a line to a file: the
// count is the processes that really ran.
func TestCrashLoopsAreThrottled(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "")
	defer d.stop()
	dir := t.TempDir()
	fa, fb := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	c := d.dial()
	c.ok(
		`service a cmd=echo x >> `+fa+`; exit 3`,
		"service a startwait_secs=0",
		`service b cmd=echo x >> `+fb+`; sleep 1.2; exit 3`,
		"service b startwait_secs=1",
	)
	cpu0 := cpuTicks(t, d.cmd.Process.Pid)
	begin := time.Now()
	c.ok("command start service a", "command start service b")

	<-time.After(time.Until(begin.Add(20 * time.Second)))
	na := lines(fa)
	cpu := time.Duration(cpuTicks(t, d.cmd.Process.Pid)-cpu0) * 10 * time.Millisecond // USER_HZ = 100
	<-time.After(time.Until(begin.Add(30 * time.Second)))
	nb := lines(fb)
	c = d.dial() // the first connection's deadline has passed
	c.ok("command down service a", "command down service b")
	t.Logf("exit at once, startwait 0: %d starts in 20 s, cfkd CPU %v; crash after 1.2 s: %d starts in 30 s", na, cpu, nb)
	if na > 12 || na < 3 {
		t.Errorf("a: %d starts in 20 s, want 3..12", na)
	}
	if cpu > 200*time.Millisecond {
		t.Errorf("cfkd used %v of CPU in 20 s of a crash loop: over 1%% of a core", cpu)
	}
	if nb > 8 || nb < 3 {
		t.Errorf("b: %d starts in 30 s, want 3..8", nb)
	}
	if st := c.status("a"); st[1] != "backoff" && st[1] != "stopped" {
		t.Errorf("a: %q", st)
	}
}

// A service that has run restart_reset_secs is restarted at once when it
// is killed, even after a crash loop; stop during a crash delay stops it
// for good.
func TestCrashCountResetsAndStopInDelay(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "")
	defer d.stop()
	c := d.dial()
	c.ok("service s cmd=sleep 100", "service s startwait_secs=0.1", "service s restart_reset_secs=1",
		"command start service s")
	pidOf := func() string {
		var pid string
		c.until("s running", func() bool {
			st := c.status("s")
			pid = st[2]
			return st[1] == "running"
		})
		return pid
	}
	kill := func(pid string) {
		n, _ := strconv.Atoi(pid)
		if err := syscall.Kill(n, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
	}
	p1 := pidOf()
	kill(p1) // crash 1: at once
	c.until("s respawned", func() bool { st := c.status("s"); return st[2] != "" && st[2] != p1 })
	p2 := pidOf()
	kill(p2) // crash 2: a delay of 1 s, in backoff
	c.until("s in backoff", func() bool { return c.status("s")[1] == "backoff" })
	p3 := pidOf()
	// it runs restart_reset_secs: the count is back to zero
	<-time.After(1200 * time.Millisecond)
	kill(p3)
	var p4 string
	c.until("s respawned", func() bool { st := c.status("s"); p4 = st[2]; return p4 != "" && p4 != p3 })
	// at once: the first crash of a new count (a third in a row would
	// have waited 2 s in backoff), not by how soon, which a loaded
	// machine stretches
	if info := c.ok("command inspect service s"); !strings.Contains(info[0], `"crashes":1,`) {
		t.Errorf("killed after a long run: %s, want the first crash of a new count", info[0])
	}
	// two quick crashes: a delay; stop during it
	pidOf()
	kill(p4)
	p5 := ""
	c.until("s respawned", func() bool { st := c.status("s"); p5 = st[2]; return p5 != "" && p5 != p4 })
	kill(p5)
	c.until("s in backoff", func() bool { return c.status("s")[1] == "backoff" })
	c.ok("command stop service s")
	st := c.status("s")
	if st[1] != "stopped" {
		t.Fatalf("stop in backoff: %q", st)
	}
	<-time.After(1500 * time.Millisecond) // past the crash delay
	if st := c.status("s"); st[1] != "stopped" || st[2] != "" {
		t.Fatalf("started again after a stop during the crash delay: %q", st)
	}
}

// lines counts the lines of a file (0 when it does not exist).
func lines(path string) int {
	b, _ := os.ReadFile(path)
	return bytes.Count(b, []byte("\n"))
}

// cpuTicks is utime+stime of a process, in clock ticks.
func cpuTicks(t *testing.T, pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return u + s
}
