package actors

import (
	"slices"
	"syscall"
	"testing"
)

// startedByProxy are the pids of the `s started by proxy p` lines of c.
func (c *logCapture) startedByProxy() []any {
	c.mu.Lock()
	defer c.mu.Unlock()
	var pids []any
	for _, e := range c.entries {
		if e.Message == "s started by proxy p" {
			pids = append(pids, e.Data["pid"])
		}
	}
	return pids
}

// REFERENCE §4.5: a restart of a service whose proxy, still loading, had
// not reported its pid; the proxy then reports the pid of the start it
// was told to stop. cfkd logged `s started by proxy p` (info) for that
// pid, just before `s: its proxy reported its pid after the stop:
// killing it`: a start the service never took. The line is logged only
// for a pid the service takes, the restart's.
func TestPidAfterTheStopIsNoStart(t *testing.T) {
	t.Parallel()
	logs := &logCapture{changed: make(chan struct{})}
	r, p, _ := proxiedStartingWith(t, "5", captureLog(logs))
	p.command() // the start line, read once the proxy has loaded
	restarted := r.async("command restart service s")
	r.expectSeq("s", stopping)
	p.command() // the stop line
	p.started("s", 501)
	r.expectSeq("s", stopped, starting)
	logs.wait(t, "s: its proxy reported its pid after the stop: killing it")
	r.fake.waitFor(t, "the SIGKILL of pid 501", func() bool {
		return slices.ContainsFunc(r.fake.signals, func(s signalRec) bool { return s.Pid == 501 && s.Sig == syscall.SIGKILL })
	})
	p.stopped("s", 501, killedBy(syscall.SIGKILL))
	r.startProxied(p, "s", 502)
	r.reply("the restart", restarted)
	logs.wait(t, "s started by proxy p")
	if got := logs.startedByProxy(); len(got) != 1 || got[0] != 502 {
		t.Fatalf("'s started by proxy p' for pids %v, want for 502 alone", got)
	}
}
