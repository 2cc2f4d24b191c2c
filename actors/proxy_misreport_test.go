package actors

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// A proxy that reports the same started twice (a proxy's bug): the second
// was taken for the start of an unknown service, and the service's own
// running process SIGKILLed through its handle.
func TestProxyStartedTwiceKillsNothing(t *testing.T) {
	t.Parallel()
	r, p := proxiedStarting(t, "5")
	p.command() // the start of s
	p.started("s", 402)
	if ev := r.expectSeq("s", running); ev[0].Pid != 402 {
		t.Fatalf("s runs as pid %d, want 402", ev[0].Pid)
	}
	p.started("s", 402)
	r.fake.expectNoSignal(t, 402, syscall.SIGKILL, window)
	if st := r.status("s"); st[1] != "running" || st[2] != "402" {
		t.Fatalf("s: %q", st)
	}
}

// An exit the proxy reports with no started before it (the original
// proxy's child reaped before its fork returned) is the exit of that
// start: it was dropped, the service waited for a pid that would never
// come, and failed for good (`proxy did not report the pid`), never
// retried.
func TestProxyStoppedWithoutStartedEndsTheStart(t *testing.T) {
	t.Parallel()
	r, p := proxiedStarting(t, "5")
	p.command() // the start of s
	p.stopped("s", 403, syscall.WaitStatus(1<<8))
	r.expectSeq("s", backoff)
}

// A proxy that floods bad status lines has them logged once a second at
// most, the next record saying how many were not.
func TestProxyBadStatusLinesLoggedOnceASecond(t *testing.T) {
	t.Parallel()
	log, rec := recordingLogger()
	r := newRig(t, func(o *Options) { o.Log = log })
	proxies := r.playProxies()
	r.declareProxied([]string{"noauto=1"}, "s")
	r.ok("command proxyup p")
	p := nextProxy(t, proxies)
	began := time.Now()
	// more than the lines cfkd holds unhandled: each one's slot must come
	// back, or the status pipe blocks for good once they are taken
	for range maxProxyStatusLines + 10 {
		if _, err := p.statusW.Write([]byte("{\n")); err != nil {
			t.Fatal(err)
		}
	}
	p.started("nobody", 999) // a line after them: once it is handled, they were
	waitFor(t, "the line after the bad ones handled", func() bool {
		return strings.Contains(rec.text(), "started unknown service 'nobody'")
	})
	// one a second: one, unless this host stalled the burst that long
	if n, most := strings.Count(rec.text(), "proxy sent a bad status line"), 1+int(time.Since(began)/time.Second); n < 1 || n > most {
		t.Errorf("%d records of bad status lines for %d in a burst, want 1 to %d:\n%s", n, maxProxyStatusLines+10, most, rec.text())
	}
}

// The status lines a proxy's actor has not taken are bounded: past the
// bound the reader waits (the proxy's writes then block), until the
// actor takes one; a freeze lets it go on.
func TestProxyStatusLinesBounded(t *testing.T) {
	t.Parallel()
	sys := actor.NewActorSystem()
	defer sys.Shutdown()
	taken := make(chan any, 16)
	self := sys.Root.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		switch c.Message().(type) {
		case proxyBadStatus, proxyReportedStarted, proxyReportedStopped:
			taken <- c.Message()
		}
	}))
	slots, stop := make(chan struct{}, 2), make(chan struct{})
	emit := statusEmitter(sys.Root, self, 1, nil, slots, stop)
	emit([]byte("{"))
	emit([]byte("{"))
	third := make(chan struct{})
	go func() { emit([]byte("{")); close(third) }()
	select {
	case <-third:
		t.Fatal("a third line went on with two not taken")
	case <-time.After(window):
	}
	freeSlot((<-taken).(proxyBadStatus).slot)
	select {
	case <-third:
	case <-time.After(deadline):
		t.Fatal("the third line still waits after a slot was given back")
	}
	<-taken
	<-taken
	go emit([]byte("{")) // slots full again: a freeze lets it go
	close(stop)
	select {
	case <-taken:
	case <-time.After(deadline):
		t.Fatal("a line waiting for a slot did not go on at the freeze")
	}
}

// The same started again while the service is being restarted: neither a
// stray to kill nor the answer to the start that follows.
func TestProxyStartedTwiceDuringARestart(t *testing.T) {
	t.Parallel()
	r, p := proxiedStarting(t, "5")
	p.command() // the start of s
	p.started("s", 402)
	r.expectSeq("s", running)
	r.setAutoTerm()
	restarted := r.async("command restart service s")
	p.command() // the stop
	p.started("s", 402)
	p.stopped("s", 402, killedBy(syscall.SIGTERM))
	p.command() // the start again
	p.started("s", 404)
	if ev := r.expectSeq("s", stopping, stopped, starting, running); ev[3].Pid != 404 {
		t.Fatalf("s runs as pid %d, want 404", ev[3].Pid)
	}
	<-restarted
	r.fake.expectNoSignal(t, 402, syscall.SIGKILL, window)
}
