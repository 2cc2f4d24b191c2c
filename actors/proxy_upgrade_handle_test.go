package actors

import (
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/lifecycle"
	"github.com/cfk/cfk/osproc"
)

// slowHandleFake is the adopting fake whose Handle, taken by a restored
// proxied service off the actor, waits for gate: entered is sent to
// first.
type slowHandleFake struct {
	*adoptingFake
	entered chan struct{}
	gate    chan struct{}
}

func (f slowHandleFake) Handle(pid, parent int) (*osproc.Process, error) {
	f.entered <- struct{}{}
	<-f.gate
	return f.adoptingFake.Handle(pid, parent)
}

// REFERENCE §13.3, step 4: a proxied service that was stopping when the
// former cfkd froze, its stopwait having run out during the exec, is
// killed by the new cfkd through the handle it takes on the process. The
// timer, re-armed at its deadline, fired at once, before the handle
// (taken off the actor, it reads /proc) had come: the kill found none
// ('no handle on the process: not killing a pid that may have been
// reused'), and a process that ignores SIGTERM ran on under its proxy,
// the service soon down in fail. The timer of such a run is armed once
// its handle came.
func TestAdoptedStoppingProxiedKilledOnceItsHandleCame(t *testing.T) {
	t.Parallel()
	nw, release := adoptedStoppingWithASlowHandle(t)
	time.Sleep(window) // the handle is slow: what waits for it waits
	if got := nw.fake.signalsTo(301); len(got) != 0 {
		t.Fatalf("signals to 301 before its handle came: %v", got)
	}
	release()
	nw.fake.waitSignal(t, 301, syscall.SIGKILL)
}

// So is it when the new cfkd is frozen and thawed again (an upgrade that
// failed at its check, say) before the handle came: the thaw re-armed
// the timer regardless, which fired, found no handle, and the process
// ran on.
func TestAdoptedStoppingProxiedThawedBeforeItsHandleCame(t *testing.T) {
	t.Parallel()
	nw, release := adoptedStoppingWithASlowHandle(t)
	nw.export(true)
	if _, err := nw.tree.System.Root.RequestFuture(nw.tree.Controller, ThawState{}, deadline).Result(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(window) // the handle is slow: what waits for it waits
	if got := nw.fake.signalsTo(301); len(got) != 0 {
		t.Fatalf("signals to 301 before its handle came: %v", got)
	}
	release()
	nw.fake.waitSignal(t, 301, syscall.SIGKILL)
}

// adoptedStoppingWithASlowHandle is a new cfkd that adopted s, proxied as
// pid 301, stopping, its stopwait run out during the exec, whose handle
// on 301 is being taken and comes once release is called.
func adoptedStoppingWithASlowHandle(t *testing.T) (nw *rig, release func()) {
	t.Helper()
	old, p, _ := proxiedStartingWith(t, "5")
	old.startProxied(p, "s", 301)
	old.async("command stop service s") // answered at the SIGTERM: the stop line
	if got := p.command(); got != `{"command":"stop","name":"s"}` {
		t.Fatalf("command %q, want the stop of s", got)
	}
	old.expectSeq("s", stopping)
	ex := old.exportSettled(true)
	lc := &ex.Services[0].Lifecycle
	if lc.State != stopping || lc.Timer != lifecycle.TimerStopWait || lc.Pid != 301 {
		t.Fatalf("exported %+v, want s stopping as pid 301, its stopwait armed", lc)
	}
	lc.Deadline = time.Now().Add(-10 * time.Millisecond) // ran out during the exec
	f := slowHandleFake{entered: make(chan struct{}, 1), gate: make(chan struct{})}
	var once sync.Once
	release = func() { once.Do(func() { close(f.gate) }) }
	t.Cleanup(release)
	nw = adoptProxied(t, ex, &ex.Proxies[0], func(o *Options) {
		f.adoptingFake = o.Launcher.(*adoptingFake)
		o.Launcher = f
	})
	select {
	case <-f.entered:
	case <-time.After(deadline):
		t.Fatal("the new tree never took a handle on pid 301")
	}
	return nw, release
}
