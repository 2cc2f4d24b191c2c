package actors

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"
)

// Short names for the states in expected sequences.
const (
	stopped  = messages.Stopped
	starting = messages.Starting
	running  = messages.Running
	stopping = messages.Stopping
	fail     = messages.Fail
	fatal    = messages.Fatal
	backoff  = messages.Backoff
)

// window is how long the "nothing happens" checks watch when the thing
// that must not happen would be due much sooner.
const window = 150 * time.Millisecond

func backoffUnit(d time.Duration) func(*Options) {
	return func(o *Options) { o.BackoffUnit = d }
}

// startRunning declares s (sleep 100, startwait 20 ms) plus attrs, starts it
// and waits until it runs; it returns the fake pid.
func (r *rig) startRunning(name string, attrs ...string) int {
	r.t.Helper()
	lines := []string{"service " + name + " cmd=sleep 100", "service " + name + " startwait_secs=0.02"}
	for _, a := range attrs {
		lines = append(lines, "service "+name+" "+a)
	}
	r.ok(lines...)
	r.okDone("command start service "+name, 1)
	ev := r.expectSeq(name, starting, running)
	if ev[0].Pid == 0 || ev[1].Pid != ev[0].Pid || !r.fake.alive(ev[0].Pid) {
		r.t.Fatalf("%s: pids %d %d", name, ev[0].Pid, ev[1].Pid)
	}
	return ev[0].Pid
}

func TestStartThenRunningAfterStartwait(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.ok("service s cmd=sleep 100", "service s startwait_secs=0.1")
	r.okDone("command start service s", 1)
	l := r.fake.waitLaunch(t, 1)
	ev := r.expectSeq("s", starting, running)
	if ev[0].Pid != l.Pid || ev[1].Pid != l.Pid || l.Pid < firstFakePid {
		t.Fatalf("event pids %d %d, fake pid %d", ev[0].Pid, ev[1].Pid, l.Pid)
	}
	if d := ev[1].At.Sub(ev[0].At); d < 100*time.Millisecond {
		t.Fatalf("running %v after starting, before startwait", d)
	}
	if ev[0].From != stopped || ev[1].From != starting {
		t.Fatalf("from states %v", transitions(ev))
	}
	r.fails("command start service s", "Service 's' is already up")
	if n := r.fake.launchCount(); n != 1 {
		t.Fatalf("%d launches", n)
	}
}

func TestLaunchSpec(t *testing.T) {
	t.Parallel()
	r := newRig(t, func(o *Options) {
		o.Env = []string{"PATH=/usr/bin:/bin", "HOME=/root", "CONTROL_FREAK_SERVICE=cfkd", "KEEP=1"}
	})
	r.ok("service a cmd=sleep 100",
		"service a add_env=FOO=1", "service a add_env=BAR=2", "service a add_env=FOO=3",
		"service a add_env=PATH=/opt/bin", "service a cwd=/tmp", "service a ignore_stdout=1",
		"command start service a")
	a := r.fake.waitLaunch(t, 1).Spec
	if !slices.Equal(a.Argv, []string{"sleep", "100"}) {
		t.Errorf("argv %q", a.Argv)
	}
	wantEnv := map[string]string{
		"PATH": "/opt/bin", "HOME": "/root", "KEEP": "1", "FOO": "3", "BAR": "2",
		"CONTROL_FREAK_ENABLED": "1", "CONTROL_FREAK_SERVICE": "a",
		"PWD": "/tmp", // its cwd's (REFERENCE §2.4)
	}
	seen := map[string]int{}
	runA := ""
	for _, kv := range a.Env {
		k, v, _ := strings.Cut(kv, "=")
		seen[k]++
		if k == RunIDVar { // a new random one at each start
			if runA = v; len(v) != 16 || strings.Trim(v, "0123456789abcdef") != "" || seen[k] != 1 {
				t.Errorf("env %q: want one, 16 hex digits", kv)
			}
			continue
		}
		if want, ok := wantEnv[k]; !ok || v != want {
			t.Errorf("env %q: want %q", kv, want)
		}
	}
	for k := range wantEnv {
		if seen[k] != 1 {
			t.Errorf("env key %s appears %d times in %q", k, seen[k], a.Env)
		}
	}
	if !a.Setsid || a.Dir != "/tmp" || a.StdoutLines != nil || a.StderrLines == nil || a.Stdin != nil || a.Credential != nil {
		t.Errorf("spec a: setsid %v dir %q stdout nil %v stderr nil %v", a.Setsid, a.Dir, a.StdoutLines == nil, a.StderrLines == nil)
	}

	r.ok(`service b cmd=["/bin/echo", "a b", "$HOME"]`, "service b no_new_session=1",
		"service b ignore_stderr=yes", "command start service b")
	b := r.fake.waitLaunch(t, 2).Spec
	if !slices.Equal(b.Argv, []string{"/bin/echo", "a b", "$HOME"}) {
		t.Errorf("JSON argv %q", b.Argv)
	}
	if b.Setsid || b.Dir != "" || b.StdoutLines == nil || b.StderrLines != nil {
		t.Errorf("spec b: setsid %v dir %q stdout nil %v stderr nil %v", b.Setsid, b.Dir, b.StdoutLines == nil, b.StderrLines == nil)
	}
	if !slices.Contains(b.Env, "CONTROL_FREAK_SERVICE=b") || !slices.Contains(b.Env, "CONTROL_FREAK_ENABLED=1") {
		t.Errorf("env b %q", b.Env)
	}
	if runA == "" || slices.Contains(b.Env, RunIDVar+"="+runA) || !slices.ContainsFunc(b.Env, func(kv string) bool { return strings.HasPrefix(kv, RunIDVar+"=") }) {
		t.Errorf("run ids: a's %q, b's env %q: want each its own", runA, b.Env)
	}

	r.ok("service c cmd=sleep 10; echo done | cat", "command start service c")
	if c := r.fake.waitLaunch(t, 3).Spec; !slices.Equal(c.Argv, []string{"/bin/sh", "-c", "sleep 10; echo done | cat"}) {
		t.Errorf("shell argv %q", c.Argv)
	}
	r.ok(`service d cmd=echo 'a b' "c d"`, "command start service d")
	if d := r.fake.waitLaunch(t, 4).Spec; !slices.Equal(d.Argv, []string{"echo", "a b", "c d"}) {
		t.Errorf("quoted argv %q", d.Argv)
	}
	// a change takes effect at the next start
	r.ok("service a add_env=FOO=4", "service a ignore_stdout=0")
	if a := r.fake.allLaunches()[0].Spec; !slices.Contains(a.Env, "FOO=3") {
		t.Errorf("the running spec changed: %q", a.Env)
	}
}

func TestStopSigtermThenStopped(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	pid := r.startRunning("s", "stopwait_secs=0.05")
	r.okDone("command stop service s", 1)
	r.fake.waitSignal(t, pid, syscall.SIGTERM)
	r.expectSeq("s", stopping)
	r.fake.exit(t, pid, killedBy(syscall.SIGTERM))
	if ev := r.expectSeq("s", stopped); ev[0].Reason != "" || ev[0].Pid != pid {
		t.Fatalf("stopped event %+v", ev[0])
	}
	// the stopwait timer died with the state: no SIGKILL, nothing else
	r.fake.expectNoSignal(t, pid, syscall.SIGKILL, window)
	r.expectQuiet("s", 0)
	if got := r.fake.signalsTo(pid); len(got) != 1 {
		t.Fatalf("signals %v", got)
	}
	if st := r.status("s"); st[1] != "stopped" || st[6] != "" {
		t.Fatalf("status %q", st)
	}
	r.fails("command stop service s", "Service 's' is already down")
}

func TestStopwaitElapsedSendsSigkill(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	pid := r.startRunning("s", "stopwait_secs=0.1")
	r.okDone("command stop service s", 1)
	r.fake.waitSignal(t, pid, syscall.SIGTERM)
	kill := r.fake.waitSignal(t, pid, syscall.SIGKILL)
	r.fake.exit(t, pid, killedBy(syscall.SIGKILL))
	ev := r.expectSeq("s", stopping, fail)
	if d := kill.At.Sub(ev[0].At); d < 100*time.Millisecond {
		t.Fatalf("SIGKILL %v after stopping, before stopwait", d)
	}
	if ev[1].Reason != "Received signal 9" {
		t.Fatalf("reason %q", ev[1].Reason)
	}
	// wanted down: a failure, but no respawn (respawn_on_fail is on)
	r.expectQuiet("s", window)
	if st := r.status("s"); st[1] != "fail" || st[6] != "Received signal 9" {
		t.Fatalf("status %q", st)
	}
}

func TestCleanExitWhileRunningIsStopped(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	pid := r.startRunning("s")
	r.fake.exit(t, pid, exitCode(0))
	if ev := r.expectSeq("s", stopped); ev[0].Reason != "" {
		t.Fatalf("event %+v", ev[0])
	}
	r.expectQuiet("s", window)
	r.fake.expectNoLaunch(t, 1, 0)
}

func TestCleanExitWithRespawnOnStop(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	pid := r.startRunning("s", "respawn_on_stop=1")
	r.fake.exit(t, pid, exitCode(0))
	ev := r.expectSeq("s", stopped, starting, running)
	l := r.fake.waitLaunch(t, 2)
	if ev[1].Pid != l.Pid || l.Pid == pid {
		t.Fatalf("respawned pid %d, launch %d, first %d", ev[1].Pid, l.Pid, pid)
	}
	// a stop asked by cfkd is not respawned
	r.setAutoTerm()
	r.okDone("command stop service s", 1)
	r.expectSeq("s", stopping, stopped)
	r.expectQuiet("s", window)
}

// Documented choice (REFERENCE §2.7, a failed start): a clean exit while still
// starting, with respawn_on_stop, goes through backoff instead of
// respawning at once, so that a command that exits at once does not spin.
func TestCleanExitDuringStartingWithRespawnOnStopBacksOff(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.ok("service s cmd=true", "service s startwait_secs=10", "service s respawn_on_stop=1",
		"command start service s")
	pid := r.fake.waitLaunch(t, 1).Pid
	r.expectSeq("s", starting)
	r.fake.exit(t, pid, exitCode(0))
	ev := r.expectSeq("s", backoff, starting)
	if d := ev[1].At.Sub(ev[0].At); d < 20*time.Millisecond {
		t.Fatalf("restarted %v after backoff, before the unit", d)
	}
	if l := r.fake.waitLaunch(t, 2); l.Pid == pid || ev[1].Pid != l.Pid {
		t.Fatalf("second launch %d, event pid %d", l.Pid, ev[1].Pid)
	}
}

func TestErrorExitWhileRunningRespawns(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	pid := r.startRunning("s")
	r.fake.exit(t, pid, exitCode(3))
	ev := r.expectSeq("s", fail, starting, running)
	if ev[0].Reason != "Exited with error 3" || ev[0].Pid != pid { // the pid of the process that ended
		t.Fatalf("fail event %+v", ev[0])
	}
	if l := r.fake.waitLaunch(t, 2); ev[1].Pid != l.Pid || l.Pid == pid {
		t.Fatalf("respawn pid %d launch %d first %d", ev[1].Pid, l.Pid, pid)
	}
	if st := r.status("s"); st[1] != "running" || st[6] != "" {
		t.Fatalf("status after respawn %q", st)
	}
}

func TestErrorExitWithoutRespawnOnFail(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	pid := r.startRunning("s", "respawn_on_fail=0")
	r.fake.exit(t, pid, exitCode(3))
	if ev := r.expectSeq("s", fail); ev[0].Reason != "Exited with error 3" {
		t.Fatalf("reason %q", ev[0].Reason)
	}
	r.expectQuiet("s", window)
	r.fake.expectNoLaunch(t, 1, 0)
}

func TestSignalledWhileRunningRespawns(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	pid := r.startRunning("s")
	r.fake.exit(t, pid, killedBy(syscall.SIGSEGV))
	if ev := r.expectSeq("s", fail, starting); ev[0].Reason != "Received signal 11" {
		t.Fatalf("reason %q", ev[0].Reason)
	}
}

// A SIGTERM cfkd did not send (an operator's kill) is a clean stop: no
// fail, no respawn, even with respawn_on_stop.
func TestOutsideSigtermIsStopped(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	pid := r.startRunning("s", "respawn_on_stop=1")
	r.fake.exit(t, pid, killedBy(syscall.SIGTERM))
	if ev := r.expectSeq("s", stopped); ev[0].Reason != "" {
		t.Fatalf("event %+v", ev[0])
	}
	r.expectQuiet("s", window)
}

func TestBackoffSequenceToFatal(t *testing.T) {
	t.Parallel()
	log, hook := logged()
	r := newRig(t, func(o *Options) { o.Log = log })
	code := 1
	r.fake.setExitOnLaunch(&code)
	r.ok("service s cmd=false", "service s startwait_secs=10", "service s respawn_max_retries=3")
	r.okDone("command start service s", 1)
	ev := r.expectSeq("s", starting, backoff, starting, backoff, starting, fatal)
	r.expectQuiet("s", window)
	if n := r.fake.launchCount(); n != 3 {
		t.Fatalf("%d launches, want 3", n)
	}
	for i, e := range ev { // backoff and fatal say why the start failed
		if want := map[messages.State]string{backoff: "Exited with error 1", fatal: "Exited with error 1"}[e.To]; e.Reason != want {
			t.Errorf("event %d: reason %q, want %q: %+v", i, e.Reason, want, e)
		}
	}
	// attempt n waits k × unit, k in 1..2n−1 (unit 20 ms): the delay
	// drawn, as logged; the clock bounds the wait from below only (a busy
	// machine hands the timer's message late)
	const unit = 20 * time.Millisecond
	for _, c := range []struct{ backoff, next, n int }{{1, 2, 1}, {3, 4, 2}} {
		delay := backoffLogged(t, hook, "s", c.n, 3)
		if max := time.Duration(2*c.n-1) * unit; delay%unit != 0 || delay < unit || delay > max {
			t.Errorf("attempt %d: restarting in %v, want k × %v in [%v, %v]", c.n, delay, unit, unit, max)
		}
		if d := ev[c.next].At.Sub(ev[c.backoff].At); d < delay {
			t.Errorf("attempt %d: started again %v after backoff, before its delay %v", c.n, d, delay)
		}
	}
	if st := r.status("s"); st[1] != "fatal" || st[2] != "" || st[6] != "" {
		t.Fatalf("status %q", st)
	}
}

// The delays grow with the attempt: attempt n waits k × unit, k uniform in
// 1..2n−1. The delay drawn is read from the log (REFERENCE §2.3:
// `restarting in 45ms, attempt n+1/MAX`), not from the clock: a busy
// machine hands the timer's message to the service late, never early, so
// the clock bounds the wait from below only.
func TestBackoffDelayBounds(t *testing.T) {
	t.Parallel()
	const unit = 15 * time.Millisecond
	log, hook := logged()
	r := newRig(t, backoffUnit(unit), func(o *Options) { o.Log = log })
	code := 2
	r.fake.setExitOnLaunch(&code)
	r.ok("service s cmd=false", "service s startwait_secs=10", "service s respawn_max_retries=6",
		"command start service s")
	r.expectSeq("s", starting)
	for n := 1; n < 6; n++ {
		ev := r.expectSeq("s", backoff, starting)
		delay := backoffLogged(t, hook, "s", n, 6)
		if max := time.Duration(2*n-1) * unit; delay%unit != 0 || delay < unit || delay > max {
			t.Errorf("attempt %d: restarting in %v, want k × %v in [%v, %v]", n, delay, unit, unit, max)
		}
		if d := ev[1].At.Sub(ev[0].At); d < delay {
			t.Errorf("attempt %d: started again after %v, before its delay %v", n, d, delay)
		}
	}
	r.expectSeq("s", fatal)
}

// logged is a logger for Options.Log whose records the hook keeps.
func logged() (*logrus.Logger, *logtest.Hook) {
	log := logrus.New()
	log.SetOutput(io.Discard)
	return log, logtest.NewLocal(log)
}

// backoffLogged returns the delay that the n-th failed start of name said
// it waits (`NAME failed during start-up (REASON); restarting in D, attempt
// n+1/MAX`, REFERENCE §2.3).
func backoffLogged(t *testing.T, hook *logtest.Hook, name string, n, retries int) time.Duration {
	t.Helper()
	var said []string
	for _, e := range hook.AllEntries() {
		if e.Level == logrus.WarnLevel && strings.HasPrefix(e.Message, name+" failed during start-up (") {
			said = append(said, e.Message)
		}
	}
	if len(said) < n {
		t.Fatalf("failed start %d: %d logged: %q", n, len(said), said)
	}
	_, rest, _ := strings.Cut(said[n-1], "; restarting in ")
	d, attempt, _ := strings.Cut(rest, ", attempt ")
	delay, err := time.ParseDuration(d)
	if err != nil || attempt != fmt.Sprintf("%d/%d", n+1, retries) {
		t.Fatalf("failed start %d logged %q", n, said[n-1])
	}
	return delay
}

func TestManualStartOfFatalResetsCounter(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	code := 1
	r.fake.setExitOnLaunch(&code)
	r.ok("service s cmd=false", "service s startwait_secs=10", "service s respawn_max_retries=2")
	r.okDone("command start service s", 1)
	r.expectSeq("s", starting, backoff, starting, fatal)
	r.fails("command stop service s", "Service 's' is already down")
	// without the reset, the first failure would be the 3rd: fatal at once
	r.okDone("command start service s", 1)
	r.expectSeq("s", starting, backoff, starting, fatal)
	// up and restart are manual starts too
	r.okDone("command up service s", 1)
	r.expectSeq("s", starting, backoff, starting, fatal)
	r.okDone("command restart service s", 1)
	r.expectSeq("s", starting, backoff, starting, fatal)
}

// A process that reached running resets the counter: a later failure
// during start-up backs off from attempt 1 again.
func TestRunningResetsCounter(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.ok("service s cmd=x", "service s startwait_secs=0.05", "service s respawn_max_retries=2",
		"command start service s")
	p1 := r.fake.waitLaunch(t, 1).Pid
	r.expectSeq("s", starting)
	r.fake.exit(t, p1, exitCode(1)) // failure 1 of 2
	r.expectSeq("s", backoff, starting)
	p2 := r.fake.waitLaunch(t, 2).Pid
	r.expectSeq("s", running)
	r.fake.exit(t, p2, exitCode(1)) // a crash while running: respawn at once
	r.expectSeq("s", fail, starting)
	p3 := r.fake.waitLaunch(t, 3).Pid
	r.fake.exit(t, p3, exitCode(1)) // failure 1 again, not 2: no fatal
	r.expectSeq("s", backoff, starting)
}

func TestStopDuringBackoff(t *testing.T) {
	t.Parallel()
	const unit = 150 * time.Millisecond
	r := newRig(t, backoffUnit(unit))
	r.ok("service s cmd=false", "service s startwait_secs=10", "command start service s")
	r.fake.exit(t, r.fake.waitLaunch(t, 1).Pid, exitCode(1))
	r.expectSeq("s", starting, backoff) // attempt 1: exactly one unit
	r.okDone("command stop service s", 1)
	if ev := r.expectSeq("s", stopped); ev[0].Reason != "" {
		t.Fatalf("event %+v", ev[0])
	}
	r.expectQuiet("s", unit+window)
	r.fake.expectNoLaunch(t, 1, 0)
	st := r.status("s")
	if st[1] != "stopped" || st[4] == "" {
		t.Fatalf("status %q", st)
	}
	r.fails("command stop service s", "Service 's' is already down")
}

func TestDownDuringBackoff(t *testing.T) {
	t.Parallel()
	const unit = 150 * time.Millisecond
	r := newRig(t, backoffUnit(unit))
	r.ok("service s cmd=false", "service s startwait_secs=10", "command start service s")
	r.fake.exit(t, r.fake.waitLaunch(t, 1).Pid, exitCode(1))
	r.expectSeq("s", starting, backoff)
	r.okDone("command down service s", 1)
	r.expectSeq("s", stopped)
	r.expectQuiet("s", unit+window)
}

func TestRestartDuringBackoffStartsAtOnce(t *testing.T) {
	t.Parallel()
	// a backoff of 10 s: a restart that waited for it is not answered
	// within the deadline, and one that did not has 5 s, not 1 s, which a
	// loaded machine under -race could take
	const unit = 10 * time.Second
	r := newRig(t, backoffUnit(unit))
	r.ok("service s cmd=false", "service s startwait_secs=10", "command start service s")
	p1 := r.fake.waitLaunch(t, 1).Pid
	r.fake.exit(t, p1, exitCode(1))
	r.expectSeq("s", starting, backoff)
	begin := time.Now()
	r.okDone("command restart service s", 1)
	if r.fake.launchCount() != 2 {
		t.Fatal("restart answered before the launch")
	}
	ev := r.expectSeq("s", starting)
	if el := time.Since(begin); el > unit/2 {
		t.Fatalf("restart took %v: it waited for the backoff", el)
	}
	if ev[0].From != backoff {
		t.Fatalf("restart from backoff published %s → starting", ev[0].From)
	}
	if ev[0].Pid != r.fake.waitLaunch(t, 2).Pid {
		t.Fatalf("pid %d", ev[1].Pid)
	}
	// the stale backoff timer must not start a third process
	r.expectQuiet("s", window)
	r.fake.expectNoLaunch(t, 2, 0)
}

// restart of a running service: SIGTERM, then a new launch after the exit;
// the reply only once the new process is launched.
func TestRestartRunning(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	p1 := r.startRunning("s")
	rep := r.async("command restart service s")
	r.fake.waitSignal(t, p1, syscall.SIGTERM)
	r.expectSeq("s", stopping)
	r.noReply("restart", rep, 50*time.Millisecond)
	if n := r.fake.launchCount(); n != 1 {
		t.Fatalf("%d launches before the exit", n)
	}
	r.fake.exit(t, p1, killedBy(syscall.SIGTERM))
	got := r.reply("restart", rep)
	launches := r.fake.launchCount()
	if got.Err != nil || !slices.Equal(got.Lines, []string{"done 1"}) {
		t.Fatalf("restart reply %v %q", got.Err, got.Lines)
	}
	if launches != 2 {
		t.Fatalf("the restart was answered with %d launches recorded, want 2", launches)
	}
	ev := r.expectSeq("s", stopped, starting, running)
	if p2 := r.fake.waitLaunch(t, 2).Pid; p2 == p1 || ev[1].Pid != p2 {
		t.Fatalf("new pid %d, event %d, old %d", p2, ev[1].Pid, p1)
	}
}

// A restart whose stop ends in SIGKILL still starts again (the failure
// was wanted).
func TestRestartAfterSigkill(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	p1 := r.startRunning("s", "stopwait_secs=0.05")
	rep := r.async("command restart service s")
	r.fake.waitSignal(t, p1, syscall.SIGKILL)
	r.fake.exit(t, p1, killedBy(syscall.SIGKILL))
	if got := r.reply("restart", rep); got.Err != nil {
		t.Fatalf("restart: %v", got.Err)
	}
	r.expectSeq("s", stopping, fail, starting, running)
}

func TestStopCancelsPendingRestart(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	p1 := r.startRunning("s")
	rep := r.async("command restart service s")
	r.fake.waitSignal(t, p1, syscall.SIGTERM)
	r.expectSeq("s", stopping)
	r.okDone("command stop service s", 1)
	got := r.reply("restart", rep)
	if got.Err == nil || got.Err.Error() != "Service 's': restart cancelled by a stop" {
		t.Fatalf("restart reply %v %q", got.Err, got.Lines)
	}
	r.fake.exit(t, p1, killedBy(syscall.SIGTERM))
	r.expectSeq("s", stopped)
	r.expectQuiet("s", window)
	r.fake.expectNoLaunch(t, 1, 0)
	// stopping twice sent one SIGTERM only
	if sigs := r.fake.signalsTo(p1); len(sigs) != 1 {
		t.Fatalf("signals %v", sigs)
	}
}

func TestRestartLaunchFailure(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	r.startRunning("s", "respawn_on_fail=0")
	r.fake.failNextLaunch(errors.New("fork: resource temporarily unavailable"))
	r.fails("command restart service s",
		"Service 's' failed to start: fork: resource temporarily unavailable")
	if ev := r.expectSeq("s", stopping, stopped, fail); ev[2].Reason != "Could not start: fork: resource temporarily unavailable" {
		t.Fatalf("reason %q", ev[3].Reason)
	}
}

func TestUpWhileStoppingStartsAgainOnceDown(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	p1 := r.startRunning("s")
	r.okDone("command stop service s", 1)
	r.fake.waitSignal(t, p1, syscall.SIGTERM)
	r.expectSeq("s", stopping)
	r.okDone("command up service s", 1)
	r.fails("command start service s", "Service 's' is already up")
	r.expectQuiet("s", 50*time.Millisecond)
	r.fake.exit(t, p1, killedBy(syscall.SIGTERM))
	ev := r.expectSeq("s", stopped, starting, running)
	if p2 := r.fake.waitLaunch(t, 2).Pid; ev[1].Pid != p2 || p2 == p1 {
		t.Fatalf("pid %d", ev[1].Pid)
	}
}

// TestUpDownNoOps: a down of a service down and an up of one up are OK
// and do nothing, and, as the original's (its up and down returned
// without a word for them), `done N` does not count them: `done 0`
// (REFERENCE §1.4).
func TestUpDownNoOps(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.ok("service idle cmd=sleep 1")
	r.okDone("command down service idle", 0)
	r.fails("command stop service idle", "Service 'idle' is already down")
	r.startRunning("s")
	r.okDone("command up service s", 0)
	r.fails("command start service s", "Service 's' is already up")
	r.expectQuiet("s", 50*time.Millisecond)
	r.expectQuiet("idle", 0)
	if n := r.fake.launchCount(); n != 1 {
		t.Fatalf("%d launches", n)
	}
	// up starts a down service, and counts it
	r.okDone("command up service idle", 1)
	r.expectSeq("idle", starting)
	r.okDone("command up all", 0) // both up: nothing done
	r.expectQuiet("idle", 50*time.Millisecond)
	r.expectQuiet("s", 0)
}

func TestNoCommand(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.ok("service s desc=nothing")
	r.fails("command start service s", "Service 's' has no known command")
	r.fails("command up service s", "Service 's' has no known command")
	r.fails("command restart service s", "Service 's' has no known command")
	r.ok("service s cmd=sleep 1", "service s cmd=")
	r.fails("command start service s", "Service 's' has no known command")
	r.expectQuiet("s", 0)
	r.fake.expectNoLaunch(t, 0, 0)
}

// A socket that is not bound makes the start fail before any launch.
func TestUnboundStdinSocket(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.ok("socket web host=127.0.0.1", "service s cmd=sleep 1", "service s tie_stdin_to=web")
	r.fails("command start service s", "Service 's' cannot start: socket 'web' is not bound")
	r.expectQuiet("s", 0)
	r.fake.expectNoLaunch(t, 0, 0)
}

func TestLaunchFailureBacksOff(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.fake.failNextLaunch(errors.New("exec: no such file"))
	r.ok("service s cmd=nothere", "service s startwait_secs=0.02")
	rep := r.exec("command start service s")
	if rep.Err == nil || !strings.Contains(rep.Err.Error(), "failed to start") ||
		rep.Err.Error() != "Service 's' failed to start: exec: no such file" {
		t.Fatalf("start reply %v %q", rep.Err, rep.Lines)
	}
	// no `starting`: it never started
	ev := r.expectSeq("s", backoff)
	if ev[0].From != stopped || ev[0].Pid != 0 {
		t.Fatalf("%+v", ev[0])
	}
	// the retry launches for real
	ev = r.expectSeq("s", starting, running)
	if ev[0].Pid != r.fake.waitLaunch(t, 1).Pid {
		t.Fatalf("pid %d", ev[0].Pid)
	}
}

func TestLaunchFailureWithoutRespawnOnFail(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.fake.failNextLaunch(errors.New("exec: no such file"))
	r.ok("service s cmd=nothere", "service s respawn_on_fail=0")
	r.fails("command start service s", "Service 's' failed to start: exec: no such file")
	ev := r.expectSeq("s", fail)
	if ev[0].Reason != "Could not start: exec: no such file" {
		t.Fatalf("reason %q", ev[0].Reason)
	}
	if st := r.status("s"); st[1] != "fail" || st[2] != "" || st[6] != "Could not start: exec: no such file" || st[7] != "" {
		t.Fatalf("status %q", st)
	}
	r.expectQuiet("s", window)
}

// Every retry fails to launch: the service gives up with one fatal.
func TestLaunchFailureUntilFatal(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	for range 3 {
		r.fake.failNextLaunch(errors.New("exec: no such file"))
	}
	r.ok("service s cmd=nothere", "service s respawn_max_retries=3")
	r.fails("command start service s", "Service 's' failed to start: exec: no such file")
	r.expectSeq("s", backoff, fatal) // the failed retries stay in backoff, publishing nothing
	if n := r.fake.launchCount(); n != 0 {
		t.Fatalf("%d launches succeeded", n)
	}
	if st := r.status("s"); st[1] != "fatal" || st[6] != "" {
		t.Fatalf("status %q", st)
	}
}

// Regression: when a backoff retry's launch fails for the last allowed
// time, the service becomes fatal once, with no second fatal→fatal change.
func TestNoDuplicateFatalAfterLaunchFailures(t *testing.T) {
	r := newRig(t)
	for range 2 {
		r.fake.failNextLaunch(errors.New("exec: no such file"))
	}
	r.ok("service s cmd=nothere", "service s respawn_max_retries=2")
	r.fails("command start service s", "Service 's' failed to start: exec: no such file")
	r.expectSeq("s", backoff, fatal)
	r.expectQuiet("s", window)
}

// A crash while running whose respawn cannot launch goes through fail,
// then backoff.
func TestRespawnLaunchFailure(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	pid := r.startRunning("s")
	r.fake.failNextLaunch(errors.New("exec: gone"))
	r.fake.exit(t, pid, exitCode(1))
	ev := r.expectSeq("s", fail, backoff, starting, running)
	if ev[0].Reason != "Exited with error 1" {
		t.Fatalf("reason %q", ev[0].Reason)
	}
}

// A process that exits before Launch even returns (the real reaper may
// report it that fast) is handled like any exit.
func TestExitBeforeLaunchReturns(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	code := 0
	r.fake.setExitOnLaunch(&code)
	r.ok("service s cmd=true", "service s startwait_secs=0.05")
	r.okDone("command start service s", 1)
	r.expectSeq("s", starting, stopped)
	r.expectQuiet("s", window)
}

// An exit reported for a process the service no longer owns is ignored.
func TestExitOfAnOldProcessIgnored(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	p1 := r.startRunning("s", "respawn_on_stop=1")
	r.fake.exit(t, p1, exitCode(0))
	r.expectSeq("s", stopped, starting, running)
	r.tree.System.Root.Send(r.servicePID("s"), messages.ProcessExited{Pid: p1, Status: exitCode(1)})
	r.expectQuiet("s", window)
	if st := r.status("s"); st[1] != "running" {
		t.Fatalf("status %q", st)
	}
}
