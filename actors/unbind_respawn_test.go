package actors

import (
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/osproc"
)

// TestUnbindDuringCrashRespawn: the first crash of a running service
// is launched again at once (REFERENCE §2.3). While that launch is in
// flight (the fork has the tied socket as its fd 0), `command unbind` of
// the socket must not close it: the doc (actors/doc.go) says "Unbind is
// refused while a service using the socket is up, in backoff or being
// started ... so that no launch ever sees a closed or reused descriptor".
// The respawn is invisible to the controller (the service is `fail`, no
// start request pending), so the unbind is accepted and the fd closed
// under the launch.
func TestUnbindDuringCrashRespawn(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	port := r.bindLoopback("web")
	pid := r.startRunning("s", "tie_stdin_to=web")

	inLaunch := make(chan osproc.Spec, 1)
	release := make(chan struct{})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	defer free()
	r.fake.mu.Lock()
	r.fake.onLaunch = func(_ int, spec osproc.Spec) {
		inLaunch <- spec
		<-release // the fork of the respawn is under way
	}
	r.fake.mu.Unlock()

	r.fake.exit(t, pid, killedBy(syscall.SIGKILL)) // a crash: launched again at once
	var spec osproc.Spec
	select {
	case spec = <-inLaunch:
	case <-time.After(deadline):
		t.Fatal("no respawn launched")
	}
	if spec.Stdin == nil {
		t.Fatal("respawn launched without the tied socket")
	}
	rep := r.async("command unbind web")
	// either refused (the service is being started), or not answered
	// while the launch holds the fd
	select {
	case got := <-rep:
		if got.Err == nil {
			c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, time.Second)
			if err == nil {
				c.Close()
			}
			t.Fatalf("unbind answered OK while the respawn's launch held the socket as fd 0 (socket still accepting: %v)", err == nil)
		}
	case <-time.After(300 * time.Millisecond):
	}
	free()
	r.expectSeq("s", fail, starting)
	r.shutdownClean()
}
