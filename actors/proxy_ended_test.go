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

// warningsWith are c's warnings (warnings) that hold sub.
func (c *logCapture) warningsWith(sub string) []string {
	var out []string
	for _, w := range c.warnings() {
		if strings.Contains(w, sub) {
			out = append(out, w)
		}
	}
	return out
}

// oneWarning fails t unless c has one warning that holds sub, want (none
// at all when want is "").
func (c *logCapture) oneWarning(t *testing.T, sub, want string) {
	t.Helper()
	got := c.warningsWith(sub)
	if want == "" && len(got) != 0 || want != "" && (len(got) != 1 || got[0] != want) {
		t.Fatalf("warned %q, want %q", got, want)
	}
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

// warningsAbout are the warnings (and errors) of c about pid, or about a
// handle or a kill.
func (c *logCapture) warningsAbout(pid int) []string {
	var out []string
	for _, w := range c.warnings() {
		if strings.Contains(w, fmt.Sprint(pid)) || strings.Contains(w, "handle") || strings.Contains(w, "kill") {
			out = append(out, w)
		}
	}
	return out
}

// REFERENCE §4.5: the `started` of a start the service gave up (stopped
// before its pid, at stopwait), whose process had ended before cfkd
// could take its handle (the proxy read the stop line and reaped it), was
// warned `proxy 'p' started 's' (pid N) for a start the service gave up:
// killing it`, and nothing was killed: an info line says it had already
// ended. Its exit still ends what it left, as a given-up start's. So
// whether the proxy actor knows the start given up when the `started`
// comes (given up), or passes it on to the service, down by then (passed
// on).
func TestGivenUpStartOfAnEndedProcess(t *testing.T) {
	t.Parallel()
	const want = "proxy 'p' started 's' (pid 301) for a start the service gave up: it had already ended"
	ended := func(o *Options) { o.Launcher = handleEnded{o.Launcher.(*fakeLauncher), 301} }
	check := func(t *testing.T, r *rig, p *playedProxy, logs *logCapture) {
		t.Helper()
		if e := logs.wait(t, want); e.Level != logrus.InfoLevel {
			t.Fatalf("%q at %v, want info", e.Message, e.Level)
		}
		if w := logs.warningsAbout(301); len(w) != 0 {
			t.Fatalf("warnings about a process that had ended: %q", w)
		}
		if s := r.fake.signalsTo(301); len(s) != 0 {
			t.Fatalf("signals %v to pid 301", s)
		}
		p.stopped("s", 301, killedBy(syscall.SIGTERM))
		r.fake.waitFor(t, "EndLostStart of s", func() bool { return len(r.fake.lost) > 0 })
		if got := r.fake.lostCalls(); len(got) != 1 || got[0].name != "s" {
			t.Fatalf("EndLostStart calls %+v, want one, for s", got)
		}
	}
	t.Run("given up", func(t *testing.T) {
		t.Parallel()
		logs := &logCapture{changed: make(chan struct{})}
		r, p, _ := proxiedStartingWith(t, "0.03", captureLog(logs), ended)
		p.command() // start
		r.okDone("command stop service s", 1)
		p.command() // stop
		r.expectSeq("s", stopping, stopped)
		p.started("s", 301)
		check(t, r, p, logs)
	})
	t.Run("passed on", func(t *testing.T) {
		t.Parallel()
		logs := &logCapture{changed: make(chan struct{})}
		r, trap, p, _ := startedBeforeGiveUp(t, captureLog(logs), ended)
		self := r.servicePID("s")
		trap.release(t, r.tree.System.Root, self, 1)
		r.expectSeq("s", stopped)
		trap.release(t, r.tree.System.Root, self, 2)
		check(t, r, p, logs)
	})
}

// REFERENCE §4.5: a `started` of a service the proxy was not asked to
// start is still an error, but one whose process had already ended is
// not said to be killed: nothing was.
func TestStartedUnknownOfAnEndedProcess(t *testing.T) {
	t.Parallel()
	logs := &logCapture{changed: make(chan struct{})}
	r, p, _ := proxiedStartingWith(t, "5", captureLog(logs), func(o *Options) {
		o.Launcher = handleEnded{o.Launcher.(*fakeLauncher), 401}
	})
	p.command() // the start of s
	p.started("ghost", 401)
	p.started("s", 402)
	r.expectSeq("s", running)
	if e := logs.wait(t, "proxy 'p' started unknown service 'ghost' (pid 401): it had already ended"); e.Level != logrus.ErrorLevel {
		t.Fatalf("%q at %v, want error", e.Message, e.Level)
	}
	if w := logs.warningsAbout(401); len(w) != 1 {
		t.Fatalf("warnings and errors %q, want the one", w)
	}
	if s := r.fake.signalsTo(401); len(s) != 0 {
		t.Fatalf("signals %v to pid 401", s)
	}
}
