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

// REFERENCE §2.7, §4.5: the `started` of a start whose restart's check
// is under way (here its env_file's read, held) waits for the check, the
// table's as every event then; the restart then stops the start, so the
// pid comes after the stop: killed through the handle that came with
// the report, kept while it waited, and no `s started by proxy p` line,
// a start the service never took. The service actor took the pid as the
// run's on arrival, before the table, and logged that line for it.
func TestPidReportedDuringARestartCheck(t *testing.T) {
	t.Parallel()
	env := newEnvFileHold(t, "s.env")
	logs := &logCapture{changed: make(chan struct{})}
	r := newRig(t, captureLog(logs), env.option)
	r.setAutoTerm()
	proxies := r.playProxies()
	r.declareProxied([]string{"noauto=1"}, "s")
	r.ok("service s stopwait_secs=5", "service s env_file="+env.path)
	r.ok("command proxyup p")
	p := nextProxy(t, proxies)
	r.okDone("command start service s", 1)
	r.expectSeq("s", starting)
	p.command() // the start line
	env.hold()
	restarted := r.async("command restart service s")
	env.waitRead(t, "the restart's check")
	p.started("s", 501)
	r.fake.expectNoSignal(t, 501, syscall.SIGKILL, window) // it waits for the check
	env.free()
	r.expectSeq("s", stopping)
	p.command() // the stop line
	r.expectSeq("s", stopped, starting)
	logs.wait(t, "s: its proxy reported its pid after the stop: killing it")
	r.fake.waitSignal(t, 501, syscall.SIGKILL)
	p.stopped("s", 501, killedBy(syscall.SIGKILL))
	r.startProxied(p, "s", 502)
	r.reply("the restart", restarted)
	logs.wait(t, "s started by proxy p")
	if got := logs.startedByProxy(); len(got) != 1 || got[0] != 502 {
		t.Fatalf("'s started by proxy p' for pids %v, want for 502 alone", got)
	}
}
