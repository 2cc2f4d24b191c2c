package actors

import (
	"io"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/lifecycle"
	"github.com/cfk/cfk/osproc"
	"github.com/cfk/cfk/proxywire"
	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"
)

// TestProxyLateStartedAnswersItsOwnStart checks that the proxy's reports
// answer the starts in the order they were sent: with a proxy slow to
// answer (a preloading proxy still loading), start, stop (stopped after
// stopwait, no pid: REFERENCE §4.5), start again; the proxy then reports started A (the
// first start), stopped A, started B. A is a stray of the given-up start,
// B the process of the service's current start: the service runs as B.
func TestProxyLateStartedAnswersItsOwnStart(t *testing.T) {
	t.Parallel()
	r, p := givenUpStart(t)
	r.okDone("command start service s", 1)
	r.expectSeq("s", starting)
	p.command() // start 2
	p.started("s", 301)
	p.stopped("s", 301, killedBy(syscall.SIGTERM))
	p.started("s", 302)
	ev := r.rec.ExpectSeq(t, "s", running)
	if ev[0].Pid != 302 {
		t.Fatalf("s runs as pid %d, want 302", ev[0].Pid)
	}
	// A, of the start given up, was killed through its handle; B was not
	r.fake.waitSignal(t, 301, syscall.SIGKILL)
	r.fake.expectNoSignal(t, 302, syscall.SIGKILL, window)
}

// TestProxyUnstartedAnswersItsStart checks that cfk-proxy's answer to a
// start it could not run at all (stopped with pid 0, a line ParseStatus
// refuses) still answers that start: the started of the next start is
// the next start's, not taken for the first one's. A stop that came
// before that answer is done: nothing ran.
func TestProxyUnstartedAnswersItsStart(t *testing.T) {
	t.Parallel()
	r, p := proxiedStarting(t, "0.03")
	p.command() // start 1
	r.okDone("command stop service s", 1)
	r.expectSeq("s", stopping)
	p.status(proxywire.Status{Status: proxywire.StatusStopped, Name: "s", Pid: 0, ExitStatus: 127 << 8})
	p.command() // stop
	r.expectSeq("s", stopped)
	r.okDone("command start service s", 1)
	r.expectSeq("s", starting)
	r.startProxied(p, "s", 302)
}

// A proxy that cannot fork (a pids cgroup limit, EAGAIN) answers a start
// with a stopped of pid 0: the service stayed starting with no process
// for startwait and 5 s more, then failed with "proxy did not report the
// pid", which it had. It fails at once now, saying where to look.
func TestProxyUnstartedFailsTheStartAtOnce(t *testing.T) {
	t.Parallel()
	r, p := proxiedStarting(t, "5") // startwait 20 ms: killwait 5 s
	p.command()
	p.status(proxywire.Status{Status: proxywire.StatusStopped, Name: "s", Pid: 0, ExitStatus: 127 << 8})
	t0 := time.Now()
	ev := r.expectSeq("s", fail)
	if want := "proxy 'p' could not start it"; !strings.Contains(ev[0].Reason, want) {
		t.Fatalf("fail reason %q, want it to say %q", ev[0].Reason, want)
	}
	if d := time.Since(t0); d > 2*time.Second {
		t.Fatalf("s failed %v after its proxy answered that it could not start it", d)
	}
}

// proxiedStarting: service s under proxy p (noauto, stopwait_secs
// stopwait), p up, and s asked to start: it is starting, its start
// command waiting for p to read it.
func proxiedStarting(t *testing.T, stopwait string) (*rig, *playedProxy) {
	t.Helper()
	r, p, _ := proxiedStartingWith(t, stopwait)
	return r, p
}

// proxiedStartingWith is proxiedStarting on a rig made with opts; it
// returns the channel of the proxies launched after p too.
func proxiedStartingWith(t *testing.T, stopwait string, opts ...func(*Options)) (*rig, *playedProxy, <-chan *playedProxy) {
	t.Helper()
	r := newRig(t, opts...)
	r.setAutoTerm()
	proxies := r.playProxies()
	r.declareProxied([]string{"noauto=1"}, "s")
	r.ok("service s stopwait_secs=" + stopwait)
	r.ok("command proxyup p")
	p := nextProxy(t, proxies)
	r.okDone("command start service s", 1)
	r.expectSeq("s", starting)
	return r, p, proxies
}

// givenUpStart: proxiedStarting, then s stopped before the proxy read
// its start line, the start given up (stopped after stopwait, no pid:
// REFERENCE §4.5); the proxy has read the start and the stop lines.
func givenUpStart(t *testing.T) (*rig, *playedProxy) {
	t.Helper()
	r, p := proxiedStarting(t, "0.03")
	p.command() // start 1
	r.okDone("command stop service s", 1)
	p.command() // stop
	r.expectSeq("s", stopping, stopped)
	r.waitStartGivenUp("s")
	return r, p
}

// waitStartGivenUp waits until the proxy has marked the start of name
// given up: the service tells its proxy that it is down after it
// publishes the transition a test waits for (the step after the row,
// lifecycle.LeaveProxy), and a status line the test writes meanwhile
// would reach the proxy first. It looks through exports that do not
// freeze (refused while the proxy still counts name up).
func (r *rig) waitStartGivenUp(name string) {
	r.t.Helper()
	end := time.Now().Add(deadline)
	for {
		res, err := r.tree.System.Root.RequestFuture(r.tree.Controller, ExportState{}, deadline).Result()
		if err != nil {
			r.t.Fatal(err)
		}
		if ex := res.(Exported); ex.Err == nil {
			for _, px := range ex.Proxies {
				for _, ps := range px.Services {
					if ps.Name == name && len(ps.Starts) > 0 && ps.Starts[len(ps.Starts)-1].Left {
						return
					}
				}
			}
		}
		if time.Now().After(end) {
			r.t.Fatalf("the proxy has not marked the start of %s given up after %v", name, deadline)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A `started` of a service the proxy was not asked to start (after an
// upgrade in place, the late answer to a start the former cfkd gave up)
// was logged and its process left running, supervised by nobody: it is
// killed through its handle now, as a given-up start's is.
func TestProxyStartedUnknownIsKilled(t *testing.T) {
	t.Parallel()
	r, p := proxiedStarting(t, "5") // s waits for its pid within startwait and stopwait
	p.command()                     // the start of s
	p.started("ghost", 401)
	p.started("s", 402) // s's own start is still answered by its started
	r.fake.waitSignal(t, 401, syscall.SIGKILL)
	if ev := r.expectSeq("s", running); ev[0].Pid != 402 {
		t.Fatalf("s runs as pid %d, want 402", ev[0].Pid)
	}
	r.fake.expectNoSignal(t, 402, syscall.SIGKILL, window)
}

// REFERENCE §4.5, §7.5: the exit of a process whose `started` came after
// its service's stop (killed then, for a start the service gave up) is a
// stopped run's: the orphans it left are ended, those of the service
// started from its start line up to the service's next start line (or
// its exit). It was taken for the end of a start given up, and what the
// process forked in the instant before the kill ran on, unsupervised.
func TestGivenUpStartEndsWhatItLeft(t *testing.T) {
	t.Parallel()
	r, p := givenUpStart(t)
	p.started("s", 301) // late: killed through its handle
	r.fake.waitSignal(t, 301, syscall.SIGKILL)
	p.stopped("s", 301, killedBy(syscall.SIGKILL))
	r.fake.waitFor(t, "EndLostStart of s", func() bool { return len(r.fake.lost) > 0 })
	got := r.fake.lostCalls()
	if len(got) != 1 || got[0].name != "s" || got[0].after == 0 || got[0].after >= got[0].before || got[0].before > osproc.BootTicks()+1 {
		t.Fatalf("EndLostStart calls %+v, want one, for s, from its start line to its exit", got)
	}

	// a start given up whose process ends after the service's next start
	// line: that start's run is not its
	r.okDone("command start service s", 1)
	r.expectSeq("s", starting)
	p.command() // start 2
	r.okDone("command stop service s", 1)
	p.command() // stop
	r.expectSeq("s", stopping, stopped)
	before := osproc.BootTicks()
	r.okDone("command start service s", 1)
	r.expectSeq("s", starting)
	p.command() // start 3: the proxy actor took the time of its line before it sent it
	after := osproc.BootTicks()
	p.started("s", 302)
	r.fake.waitSignal(t, 302, syscall.SIGKILL)
	p.started("s", 303) // start 3's own
	ev := r.expectSeq("s", running)
	p.stopped("s", 302, killedBy(syscall.SIGKILL))
	r.fake.waitFor(t, "EndLostStart of s", func() bool { return len(r.fake.lost) > 1 })
	got = r.fake.lostCalls()
	if len(got) != 2 || got[1].name != "s" || got[1].after >= got[1].before || got[1].before < before || got[1].before > after {
		t.Fatalf("EndLostStart calls %+v, want a second, for s, up to its next start line (in [%d, %d])", got, before, after)
	}
	if ev[0].Pid != 303 {
		t.Fatalf("s runs as pid %d, want 303", ev[0].Pid)
	}
	r.fake.expectNoSignal(t, 303, syscall.SIGKILL, window)
}

// REFERENCE §4.5: a `started` that comes once the service is down is
// killed. The service's word that it is down (it gave the start up at
// stopwait) goes to the proxy actor through the controller, and the
// proxy's `started` could reach the proxy actor first: it then answered
// the start with it, the service, down, dropped it, and the process ran
// on, supervised by nobody (TestGivenUpStartEndsWhatItLeft failed so
// about once in 3 runs of the package). The service kills it now. Here a
// trap holds the stopwait's message and the pid's report, and delivers
// them in that order: the report comes to a service already down.
func TestGivenUpStartKilledWhenItsStartedComesFirst(t *testing.T) {
	t.Parallel()
	r, trap, p, _ := startedBeforeGiveUp(t)
	self := r.servicePID("s")
	trap.release(t, r.tree.System.Root, self, 1)
	r.expectSeq("s", stopped)
	trap.release(t, r.tree.System.Root, self, 2)
	r.fake.waitSignal(t, 301, syscall.SIGKILL)
	// its exit is a stopped run's, as that of a `started` the proxy actor
	// killed itself: what it left is ended
	p.stopped("s", 301, killedBy(syscall.SIGKILL))
	r.fake.waitFor(t, "EndLostStart of s", func() bool { return len(r.fake.lost) > 0 })
	if got := r.fake.lostCalls(); len(got) != 1 || got[0].name != "s" {
		t.Fatalf("EndLostStart calls %+v, want one, for s", got)
	}
	if st := r.status("s"); st[1] != "stopped" {
		t.Fatalf("s %q, want stopped", st)
	}
}

// REFERENCE §4.5: the kill of a `started` that came for a start the
// service gave up names the proxy that forked it. The service took the
// name from its own proxy, so a move of the service to another proxy
// (here q, whose start is under way when p's late `started` comes) made
// the line name q.
func TestGivenUpStartKillNamesItsProxy(t *testing.T) {
	t.Parallel()
	log := logrus.New()
	log.SetOutput(io.Discard)
	hook := logtest.NewLocal(log)
	r, trap, _, proxies := startedBeforeGiveUp(t, func(o *Options) { o.Log = log })
	self := r.servicePID("s")
	trap.release(t, r.tree.System.Root, self, 1)
	r.expectSeq("s", stopped)
	r.ok("proxy q cmd=cfk-proxy --preload y", "proxy q service s cmd=sleep 100")
	r.okDone("command start service s", 1)
	r.expectSeq("s", starting)
	nextProxy(t, proxies).command() // q's start line: s's run is q's
	trap.release(t, r.tree.System.Root, self, 2)
	r.fake.waitSignal(t, 301, syscall.SIGKILL)
	want := "proxy 'p' started 's' (pid 301) for a start the service gave up: killing it"
	var kills []string
	for _, e := range hook.AllEntries() {
		if strings.Contains(e.Message, "(pid 301)") {
			kills = append(kills, e.Message)
		}
	}
	if len(kills) != 1 || kills[0] != want {
		t.Fatalf("logged %q, want %q", kills, want)
	}
}

// startedBeforeGiveUp starts s under the played proxy p, stops it, and
// holds, in a trap, the stopwait's message (1) and the report of the
// `started` p sends just then for pid 301 (2), which the proxy actor
// passes on since it does not know s down yet: released in that order,
// the report comes to a service already down.
func startedBeforeGiveUp(t *testing.T, opts ...func(*Options)) (*rig, *timerTrap, *playedProxy, <-chan *playedProxy) {
	t.Helper()
	trap := newTrap(func(m any) bool {
		if te, ok := m.(timerElapsed); ok {
			return te.Kind == lifecycle.TimerStopWait
		}
		_, ok := m.(proxyServiceStarted)
		return ok
	})
	r, p, proxies := proxiedStartingWith(t, "0.03", append([]func(*Options){withTrap(trap.middleware)}, opts...)...)
	p.command() // the start
	r.okDone("command stop service s", 1)
	p.command() // the stop
	r.expectSeq("s", stopping)
	if te, _ := trap.wait(t, 1).(timerElapsed); te.Kind != lifecycle.TimerStopWait {
		t.Fatalf("caught %+v, want the stopwait", te)
	}
	p.started("s", 301)
	if m, ok := trap.wait(t, 2).(proxyServiceStarted); !ok || m.pid != 301 {
		t.Fatalf("caught %+v, want the report of pid 301", trap.wait(t, 2))
	}
	return r, trap, p, proxies
}

// REFERENCE §4.5, §7.5: a late `started` the proxy actor passed on (it
// did not know the service down yet) is killed by the service; the
// process's exit could then reach the proxy actor before the service's
// word that it is down, and was taken for a run's end: what the process
// left was not ended (TestGivenUpStartEndsWhatItLeft failed so in a CI
// run). The service tells the proxy actor of the kill before it kills.
// Here the service's word that it is down is held back for good.
func TestGivenUpStartEndsWhatItLeftWhenItsExitComesFirst(t *testing.T) {
	t.Parallel()
	held := make(chan struct{}, 16)
	hold := func(next actor.SenderFunc) actor.SenderFunc {
		return func(c actor.SenderContext, to *actor.PID, env *actor.MessageEnvelope) {
			if m, ok := env.Message.(toProxy); ok {
				if _, down := m.msg.(proxiedServiceDown); down {
					held <- struct{}{}
					return
				}
			}
			next(c, to, env)
		}
	}
	r, p, _ := proxiedStartingWith(t, "0.03", func(o *Options) { o.ServiceSenderMiddleware = []actor.SenderMiddleware{hold} })
	p.command() // the start
	r.okDone("command stop service s", 1)
	p.command() // the stop
	r.expectSeq("s", stopping, stopped)
	select { // the proxy actor does not know s down
	case <-held:
	case <-time.After(deadline):
		t.Fatal("s did not say it is down")
	}
	p.started("s", 301)
	r.fake.waitSignal(t, 301, syscall.SIGKILL)
	p.stopped("s", 301, killedBy(syscall.SIGKILL))
	r.fake.waitFor(t, "EndLostStart of s", func() bool { return len(r.fake.lost) > 0 })
	if got := r.fake.lostCalls(); len(got) != 1 || got[0].name != "s" || got[0].after == 0 {
		t.Fatalf("EndLostStart calls %+v, want one, for s, from its start line", got)
	}
}
