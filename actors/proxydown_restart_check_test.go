package actors

import (
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/osproc"
)

// heldChecker is the fake launcher with a program lookup whose check of
// program held waits for release, telling asked when it begins.
type heldChecker struct {
	*fakeLauncher
	held    string
	asked   chan struct{}
	release chan struct{}
}

func (c heldChecker) CheckProgram(spec osproc.Spec) error {
	if spec.Argv[0] == c.held {
		c.asked <- struct{}{}
		<-c.release
	}
	return nil
}

// A `restart service s`, s running (directly) and declared under proxy
// p, which does not run: its restart checks p's launch off the actor
// first (REFERENCE §1.4). A `proxydown p` while that check is under way
// neither stops s (its run is not under p) nor cancels its restart (it
// was asked, not planned): once the check ended, the restart stopped s
// and started it under p, which ran p again, against REFERENCE §4.5
// ("none runs the proxy again"). The proxydown cancels that restart:
// answered why, its process kept, p not run.
func TestProxydownCancelsARestartWhoseCheckIsUnderWay(t *testing.T) {
	t.Parallel()
	r := proxydownDuringRestartCheck(t, 0)
	if st := r.status("s"); st[1] != "running" {
		t.Fatalf("status %q, want running", st)
	}
}

// proxydownDuringRestartCheck is the test above: s running directly,
// declared under p, which does not run, with others more services
// declared under p (spawned, down) whose names come before s; a restart
// of s whose check of p's launch is held, a proxydown p, then the check
// let go. The restart is answered that p was shut down, p is not run,
// and s's process is kept.
func proxydownDuringRestartCheck(t *testing.T, others int) *rig {
	t.Helper()
	hc := heldChecker{held: "good-proxy", asked: make(chan struct{}, 4), release: make(chan struct{})}
	var once sync.Once
	free := func() { once.Do(func() { close(hc.release) }) }
	t.Cleanup(free)
	r := newRig(t, func(o *Options) {
		hc.fakeLauncher = o.Launcher.(*fakeLauncher)
		o.Launcher = hc
	})
	r.setAutoTerm()
	proxies := r.playProxies()
	pid := r.startRunning("s")
	r.ok("proxy p cmd=good-proxy", "proxy p service s cmd=sleep 100")
	for i := range others {
		r.ok(fmt.Sprintf("proxy p service a%03d cmd=sleep 100", i), fmt.Sprintf("proxy p service a%03d tags=others", i))
	}
	if others > 0 {
		r.fails("command stop tag others", "Service 'a000' is already down") // their actors are spawned: the proxydown tells them
	}

	restart := r.async("command restart service s")
	select {
	case <-hc.asked: // the restart checks p's launch
	case <-time.After(deadline):
		t.Fatal("the restart did not check p's launch")
	}
	if rep := r.reply("proxydown p", r.async("command proxydown p")); rep.Err != nil {
		t.Fatalf("proxydown p: %v", rep.Err)
	}
	free()
	want := "Service 's' was not restarted: proxy 'p' was shut down"
	if rep := r.reply("restart s", restart); rep.Err == nil || rep.Err.Error() != want {
		t.Fatalf("restart s: %v %q, want %q", rep.Err, rep.Lines, want)
	}
	noProxy(t, proxies, window)
	if sigs := r.fake.signalsTo(pid); len(sigs) != 0 || !r.fake.alive(pid) {
		t.Fatalf("its process got %v, alive %v; want kept", sigs, r.fake.alive(pid))
	}
	return r
}

// The same restart past its check: s is stopping (its SIGTERM sent, its
// exit held by the fake launcher) when `proxydown p` comes. Once s was
// down, the restart started it under p, which ran p again (REFERENCE
// §4.5). The proxydown cancels it as a stop does: the restart is answered
// `restart cancelled by a stop` (§2.8), s stays stopped, p is not run.
func TestProxydownCancelsARestartStoppingItsProcess(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	proxies := r.playProxies()
	pid := r.startRunning("s")
	r.ok("proxy p cmd=good-proxy", "proxy p service s cmd=sleep 100")

	restart := r.async("command restart service s")
	r.fake.waitSignal(t, pid, syscall.SIGTERM) // checked, stopping
	r.expectSeq("s", stopping)
	if rep := r.reply("proxydown p", r.async("command proxydown p")); rep.Err != nil {
		t.Fatalf("proxydown p: %v", rep.Err)
	}
	r.fake.exit(t, pid, syscall.WaitStatus(syscall.SIGTERM))
	want := "Service 's': restart cancelled by a stop"
	if rep := r.reply("restart s", restart); rep.Err == nil || rep.Err.Error() != want {
		t.Fatalf("restart s: %v %q, want %q", rep.Err, rep.Lines, want)
	}
	r.expectSeq("s", stopped)
	r.setAutoTerm()
	r.expectNone("s", starting, window)
	noProxy(t, proxies, window)
}

// The same restart while its check is under way, with a thousand
// services declared under p whose names come before s: the controller
// tells each of them, then s, of the proxydown (proxyDownCancel). Its
// answer (p does not run: at once, from p's actor) must come after s was
// told, so that the check that ends after the answer reaches s after the
// proxydown (REFERENCE §4.5). p's actor was told first, and answered
// while the controller still told the others: s took its check's end
// first, the restart went on (answered done 1, its process stopped).
// The others make wide the window in which the test above failed now
// and then on a loaded machine.
func TestProxydownIsAnsweredOnceItsServicesAreTold(t *testing.T) {
	t.Parallel()
	proxydownDuringRestartCheck(t, 1000)
}
