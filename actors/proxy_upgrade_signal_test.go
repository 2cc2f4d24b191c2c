package actors

import (
	"sync"
	"syscall"
	"testing"
	"time"
)

// adoptedRunningSlowHandle: s runs under the played proxy p as pid 301,
// then the tree is exported, frozen, and adopted by a new tree whose
// handle on pid 301, taken off the actor, waits for the gate of the
// fake (released by release, at the end of the test at the latest). It
// returns once the new tree is taking that handle, with the new tree's
// adopting fake.
func adoptedRunningSlowHandle(t *testing.T) (nw *rig, fake *adoptingFake, release func()) {
	t.Helper()
	old, p, _ := proxiedStartingWith(t, "5")
	old.startProxied(p, "s", 301)
	ex := old.exportSettled(true)
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
	return nw, f.adoptingFake, release
}

// REFERENCE §13.3, §4.5: a `signal` to a proxied service that the new
// cfkd of an upgrade in place has restored, asked before the handle on
// its process (taken off the actor, it reads /proc) has come, waits for
// it and is sent through it: it was refused, 'cannot be signalled: cfkd
// holds no handle on its process', for the few milliseconds after the
// exec. A handle that cannot be taken answers that error then.
func TestSignalWaitsForTheHandleOfAnAdoptedProxiedProcess(t *testing.T) {
	t.Parallel()
	t.Run("the handle comes", func(t *testing.T) {
		t.Parallel()
		nw, _, release := adoptedRunningSlowHandle(t)
		ch := nw.async("command signal HUP service s")
		nw.noReply("the signal of s, its handle not come", ch, window)
		release()
		rep := nw.reply("the signal of s", ch)
		if rep.Err != nil || len(rep.Lines) != 1 || rep.Lines[0] != "done 1" {
			t.Fatalf("signal of s: %v %q, want done 1", rep.Err, rep.Lines)
		}
		nw.fake.waitSignal(t, 301, syscall.SIGHUP)
	})
	t.Run("no handle", func(t *testing.T) {
		t.Parallel()
		nw, fake, release := adoptedRunningSlowHandle(t)
		ch := nw.async("command signal HUP service s")
		nw.noReply("the signal of s, its handle not come", ch, window)
		fake.fakeLauncher.mu.Lock()
		fake.fakeLauncher.noHandle = true
		fake.fakeLauncher.mu.Unlock()
		release()
		rep := nw.reply("the signal of s", ch)
		want := "Service 's' cannot be signalled: cfkd holds no handle on its process (pid 301), which proxy 'p' forked"
		if rep.Err == nil || rep.Err.Error() != want {
			t.Fatalf("signal of s: %v %q, want the error %q", rep.Err, rep.Lines, want)
		}
		if sigs := nw.fake.signalsTo(301); len(sigs) != 0 {
			t.Fatalf("signals sent to pid 301 with no handle on it: %v", sigs)
		}
	})
}
