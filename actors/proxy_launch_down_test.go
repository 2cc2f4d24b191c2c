package actors

import (
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/osproc"
)

// holdLaunch makes the next launch wait on release (a played proxy, if
// the rig plays one, is handed over once released); inLaunch is closed
// once it waits.
func (r *rig) holdLaunch() (inLaunch, release chan struct{}) {
	inLaunch, release = make(chan struct{}), make(chan struct{})
	r.fake.mu.Lock()
	played := r.fake.onLaunch
	var held atomic.Bool // launches run on several workers at once
	r.fake.onLaunch = func(pid int, spec osproc.Spec) {
		if held.CompareAndSwap(false, true) {
			close(inLaunch)
			<-release
		}
		if played != nil {
			played(pid, spec)
		}
	}
	r.fake.mu.Unlock()
	return inLaunch, release
}

func waitClosed(t *testing.T, ch chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(deadline):
		t.Fatal("no " + what)
	}
}

// An auto proxy run for a start whose service is stopped during the
// launch: the start is dropped, and the proxy, up with no service, was
// never shut down. It is shut down as an idle auto proxy is.
func TestAutoProxyLaunchedForDroppedStartsShutsDown(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	proxies := r.playProxies()
	r.declareProxied(nil, "s")
	inLaunch, release := r.holdLaunch()
	r.okDone("command start service s", 1)
	waitClosed(t, inLaunch, "launch")
	r.expectSeq("s", starting)
	r.okDone("command stop service s", 1)
	r.expectSeq("s", stopping, stopped)
	close(release)
	p := nextProxy(t, proxies)
	// an auto proxy with no service up is shut down
	r.fake.waitSignal(t, p.pid, syscall.SIGTERM)
}

// proxydown while a service under the auto proxy is in backoff: only the
// services up were stopped; the one in backoff respawned once its delay
// was over, and its start ran the proxy again. It is stopped too
// (REFERENCE §4.5: "none is respawned, so none runs the proxy again").
func TestProxydownStopsItsServicesInBackoff(t *testing.T) {
	t.Parallel()
	r := newRig(t, func(o *Options) { o.RestartDelay = 300 * time.Millisecond })
	p, proxies := r.runningUnderProxy([2]string{"b", "a"}, [2]int{700, 710})
	// a crashes twice: respawned at once, then in backoff
	p.stopped("a", 710, exitCode(1))
	r.expectSeq("a", fail, starting)
	r.startProxied(p, "a", 711)
	p.stopped("a", 711, exitCode(1))
	r.expectSeq("a", fail, backoff)
	down := r.async("command proxydown p")
	r.expectSeq("b", stopping)
	p.stopped("b", 700, killedBy(syscall.SIGTERM))
	r.expectSeq("b", stopped)
	r.fake.waitSignal(t, p.pid, syscall.SIGTERM)
	p.close()
	r.fake.exit(t, p.pid, 0)
	if rep := r.reply("proxydown", down); rep.Err != nil {
		t.Fatal(rep.Err)
	}
	// the proxy stays down
	noProxy(t, proxies, time.Second)
}

// A start that comes after a proxydown, while the proxy is still being
// launched, was sent once the proxy ran, and then stopped with the
// services up, though it came after the proxydown. It waits for the next
// run now, as a start that comes while the proxy stops does (REFERENCE
// §4.5): the proxy is shut down, then run again for it.
func TestStartAfterProxydownDuringLaunchWaitsForTheNextRun(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	proxies := r.playProxies()
	r.declareProxied(nil, "s")
	inLaunch, release := r.holdLaunch()
	up := r.async("command proxyup p")
	waitClosed(t, inLaunch, "launch")
	down := r.async("command proxydown p")
	r.noReply("proxydown", down, 100*time.Millisecond) // taken by the actor, waiting for the launch
	r.okDone("command start service s", 1)
	r.expectSeq("s", starting)
	close(release)
	p := nextProxy(t, proxies)
	r.reply("proxyup", up)
	r.fake.waitSignal(t, p.pid, syscall.SIGTERM)
	p.eof() // no start line to this run
	p.close()
	r.fake.exit(t, p.pid, 0)
	r.reply("proxydown", down)
	p2 := nextProxy(t, proxies)
	r.startProxied(p2, "s", 850)
	// the start came after the proxydown: not stopped by it
	r.expectNone("s", stopping, window)
}

// proxydown while the proxy stops already (its command pipe broke) with
// a service still up: it was not stopped, and ended 'proxy stopped', or,
// when the proxy reported its SIGKILL, as a crash respawned at once whose
// start ran the proxy again once it was gone. It is stopped now, as when
// the proxy is up.
func TestProxydownWhileStoppingStopsItsServices(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	p, proxies := r.runningUnderProxy([2]string{"s", "u"}, [2]int{800, 801})
	p.closeCommands()
	r.okDone("command stop service u", 1) // the stop line cannot be written: shut down
	r.expectSeq("u", stopping)
	r.fake.waitSignal(t, p.pid, syscall.SIGTERM)
	down := r.async("command proxydown p")
	// proxydown stops the service still up, as it does when the proxy is up
	r.expectSeq("s", stopping)
	p.stopped("s", 800, killedBy(syscall.SIGKILL))
	p.stopped("u", 801, killedBy(syscall.SIGTERM))
	r.expectSeq("s", fail)
	r.fake.exit(t, p.pid, 0)
	r.reply("proxydown", down)
	noProxy(t, proxies, window)
}

// The proxy exits before the launch's outcome is taken (the reaper was
// faster than the worker): its services fail, it is down, and the next
// start runs it again.
func TestProxyExitsBeforeItsLaunchOutcome(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	proxies := r.playProxies()
	r.declareProxied(nil, "s")
	one := 1
	r.fake.setExitOnLaunch(&one)
	r.okDone("command start service s", 1)
	nextProxy(t, proxies)
	ev := r.expectSeq("s", starting, fail)
	t.Logf("reason %q", ev[1].Reason)
	waitProxyStatus(r, "p\tdown\t")
	r.fake.setExitOnLaunch(nil)
	r.okDone("command start service s", 1)
	p := nextProxy(t, proxies)
	r.expectSeq("s", starting)
	r.startProxied(p, "s", 900)
}

// proxyup after a proxydown, both during the launch, was answered OK,
// and the proxy was shut down at once. It is refused now, as a proxyup
// while the proxy stops is: "proxy 'p' is stopping".
func TestProxyupAfterProxydownDuringLaunchRefused(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	proxies := r.playProxies()
	r.declareProxied(nil, "s")
	inLaunch, release := r.holdLaunch()
	up1 := r.async("command proxyup p")
	waitClosed(t, inLaunch, "launch")
	down := r.async("command proxydown p")
	r.noReply("proxydown", down, 100*time.Millisecond)
	if rep := r.reply("proxyup 2", r.async("command proxyup p")); rep.Err == nil || rep.Err.Error() != "proxy 'p' is stopping" {
		t.Fatalf("proxyup after proxydown: %v, want proxy 'p' is stopping", rep.Err)
	}
	close(release)
	p := nextProxy(t, proxies)
	r.reply("proxyup 1", up1)
	r.fake.waitSignal(t, p.pid, syscall.SIGTERM)
}

// A start queued while an auto proxy stops (idle), then a proxydown: the
// proxydown was answered once the proxy was gone, and the queued start
// then ran it again. A start queued before the proxydown is stopped by
// it, as one during a launch is; one that comes after it waits.
func TestProxydownWhileIdleStoppingStopsAQueuedStart(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	proxies := r.playProxies()
	r.declareProxied(nil, "s")
	p := r.startFirstProxied(proxies, "s", 700)
	r.okDone("command stop service s", 1)
	p.command() // the stop line
	p.stopped("s", 700, killedBy(syscall.SIGTERM))
	r.expectSeq("s", stopping, stopped)
	r.fake.waitSignal(t, p.pid, syscall.SIGTERM) // idle: shut down
	r.okDone("command start service s", 1)       // queued for its next run
	r.expectSeq("s", starting)
	down := r.async("command proxydown p")
	r.expectSeq("s", stopping, stopped)
	p.close()
	r.fake.exit(t, p.pid, 0)
	if rep := r.reply("proxydown", down); rep.Err != nil {
		t.Fatal(rep.Err)
	}
	noProxy(t, proxies, 300*time.Millisecond)
}
