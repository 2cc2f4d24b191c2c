package actors

import (
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/cfk/cfk/osproc"
	"github.com/sirupsen/logrus"
)

// handleEnded is the fake launcher whose Handle on pid fails as the real
// one's does when the process had exited before the status reader took
// its handle (the proxy read the stop line right after the start line,
// and reaped its child): osproc.ErrEnded.
type handleEnded struct {
	*fakeLauncher
	pid int
}

func (h handleEnded) Handle(pid, parent int) (*osproc.Process, error) {
	if pid == h.pid {
		return nil, fmt.Errorf("process %d: %w", pid, osproc.ErrEnded)
	}
	return h.fakeLauncher.Handle(pid, parent)
}

// warnings are the entries of c at warning level or above.
func (c *logCapture) warnings() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, e := range c.entries {
		if e.Level <= logrus.WarnLevel {
			out = append(out, e.Level.String()+": "+e.Message)
		}
	}
	return out
}

// A restart (an apply's) of a service whose proxy, still loading, had not
// reported its pid: the proxy then read the start line and the stop line
// at once, and its child had exited, reaped, before cfkd took its handle.
// cfkd warned three times about that one process, which had simply
// ended: `proxy 'p' reported pid N for 's': no handle on it, cfkd will
// not signal it`, `s: its proxy reported its pid after the stop: killing
// it` and `no handle on the process: not killing a pid that may have been
// reused`. One info line says it now; the restart runs the new process.
func TestPidAfterTheStopOfAnEndedProcess(t *testing.T) {
	t.Parallel()
	logs := &logCapture{changed: make(chan struct{})}
	r, p, _ := proxiedStartingWith(t, "5", captureLog(logs), func(o *Options) {
		o.Launcher = handleEnded{o.Launcher.(*fakeLauncher), 501}
	})
	p.command() // the start line, read once the proxy has loaded
	restarted := r.async("command restart service s")
	r.expectSeq("s", stopping)
	if got := p.command(); !strings.HasPrefix(got, `{"command":"stop"`) {
		t.Fatalf("command %q, want the stop", got)
	}
	p.started("s", 501) // reaped by the proxy before cfkd's handle
	r.expectSeq("s", stopped, starting)
	p.stopped("s", 501, killedBy(syscall.SIGTERM))
	r.startProxied(p, "s", 502)
	r.reply("the restart", restarted)
	if w := logs.warnings(); len(w) != 0 {
		t.Fatalf("warnings about a process that had ended: %q", w)
	}
	e := logs.wait(t, "s: its proxy reported its pid after the stop: it had already ended")
	if e.Level != logrus.InfoLevel {
		t.Fatalf("%q at %v, want info", e.Message, e.Level)
	}
	if s := r.fake.signalsTo(501); len(s) != 0 {
		t.Fatalf("signals %v to pid 501", s)
	}
}
