package actors

import (
	"syscall"
	"testing"
)

// REFERENCE §1.4, §11: cfkd signals a process a proxy forked only through
// its handle on it, and holds none without pidfds (macOS, FreeBSD: Handle
// fails with ErrNoHandle). `signal` to such a service sent nothing and
// answered `done 1`; it is refused now, saying why, and nothing is sent.
func TestSignalOfAProxiedProcessWithoutAHandle(t *testing.T) {
	t.Parallel()
	r, p := proxiedStarting(t, "5")
	r.fake.mu.Lock()
	r.fake.noHandle = true
	r.fake.mu.Unlock()
	p.command() // the start of s
	p.started("s", 402)
	r.expectSeq("s", running)
	r.fails("command signal HUP service s",
		"Service 's' cannot be signalled: cfkd holds no handle on its process (pid 402), which proxy 'p' forked")
	if sigs := r.fake.signalsTo(402); len(sigs) != 0 {
		t.Fatalf("signals sent to pid 402 with no handle on it: %v", sigs)
	}
	// with a handle (the next run's), the signal goes through it
	r.fake.mu.Lock()
	r.fake.noHandle = false
	r.fake.mu.Unlock()
	r.okDone("command stop service s", 1)
	p.command() // the stop
	p.stopped("s", 402, killedBy(syscall.SIGTERM))
	r.expectSeq("s", stopping, stopped)
	r.okDone("command start service s", 1)
	p.command()
	p.started("s", 403)
	r.expectSeq("s", starting, running)
	r.okDone("command signal HUP service s", 1)
	r.fake.waitSignal(t, 403, syscall.SIGHUP)
}
