package actors

import (
	"os"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A proxy run that ends while a process it left holds the write ends of
// its status and log pipes (`sleep 2222 &` in a proxy's script: fds 4
// and 5 go with it) had cfkd keep its read ends until that process
// ended: about 4 fds a run (these two, and the proxy's stdout and
// stderr, read on as a direct service's are), so a proxy in a crash loop
// whose runs each left one would exhaust cfkd's fds. The run's lines are
// dropped once its exit's drain is over: cfkd closes those two then. A
// run taken for gone after its grace keeps them until its exit: what it
// writes meanwhile is still read (and logged, a former run's).
func TestProxyEndClosesItsPipesWhileALeftoverHoldsThem(t *testing.T) {
	t.Parallel()
	t.Run("exit", func(t *testing.T) {
		t.Parallel()
		r := newRig(t)
		proxies := r.playProxies()
		r.declareProxied(nil, "s")
		p := r.startFirstProxied(proxies, "s", 600)
		// it exits; the played proxy keeps the write ends, as a leftover would
		r.fake.exit(t, p.pid, syscall.WaitStatus(1<<8))
		r.expectSeq("s", fail)
		readEndClosed(t, "status", p.statusW, deadline)
		readEndClosed(t, "log", p.logW, deadline)
	})
	t.Run("taken for gone", func(t *testing.T) {
		t.Parallel()
		own := &logCapture{changed: make(chan struct{})}
		r := newRig(t, captureLog(own), func(o *Options) { o.ProxyGrace = 50 * time.Millisecond })
		proxies := r.playProxies()
		r.declareProxied(nil, "s")
		p := r.startFirstProxied(proxies, "s", 600)
		r.ok("command proxydown p")
		r.fake.waitSignal(t, p.pid, syscall.SIGKILL)
		own.wait(t, "Proxy 'p' didn't clean after itself?")
		// not reaped: still read, its lines a former run's
		readEndClosed(t, "status (before the exit)", p.statusW, 0)
		p.stopped("s", 600, killedBy(syscall.SIGTERM))
		own.wait(t, "proxy 'p' sent a status line of a former run of it (the exit of 's', pid 600): ignored")
		r.fake.exit(t, p.pid, killedBy(syscall.SIGKILL))
		readEndClosed(t, "status", p.statusW, deadline)
		readEndClosed(t, "log", p.logW, deadline)
	})
}

// readEndClosed waits up to wait for the read end of the pipe whose write
// end is w to be closed (poll(2) says POLLERR on the write end then); a
// zero wait checks that it is not, now.
func readEndClosed(t *testing.T, which string, w *os.File, wait time.Duration) {
	t.Helper()
	rc, err := w.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var revents int16
	var perr error
	if err := rc.Control(func(fd uintptr) {
		fds := []unix.PollFd{{Fd: int32(fd)}} // no event asked: POLLERR, POLLHUP only
		for end := time.Now().Add(wait); ; {
			_, perr = unix.Poll(fds, int(max(0, time.Until(end).Milliseconds())))
			if perr != unix.EINTR || time.Now().After(end) {
				break
			}
		}
		revents = fds[0].Revents
	}); err != nil {
		t.Fatal(err)
	}
	if perr != nil && perr != unix.EINTR {
		t.Fatalf("poll: %v", perr)
	}
	closed := revents&unix.POLLERR != 0
	switch {
	case wait == 0 && closed:
		t.Fatalf("%s pipe: cfkd closed its read end, want it read on", which)
	case wait > 0 && !closed:
		t.Fatalf("%s pipe: cfkd still holds its read end %v after the proxy's exit", which, wait)
	}
}
