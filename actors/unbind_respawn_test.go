package actors

import (
	"net"
	"strings"
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
// start request pending), so the unbind was accepted and the fd closed
// under the launch.
//
// redeclared: the service is declared again without tie_stdin_to
// meanwhile (a `service s tie_stdin_to=` line, or an apply of a file that
// moved it to another socket). The launch still holds the socket it was
// built with; the service's check looked at its declaration of now.
func TestUnbindDuringCrashRespawn(t *testing.T) {
	for _, redeclared := range []bool{false, true} {
		t.Run(map[bool]string{false: "as declared", true: "redeclared"}[redeclared], func(t *testing.T) {
			t.Parallel()
			unbindDuringCrashRespawn(t, redeclared)
		})
	}
}

func unbindDuringCrashRespawn(t *testing.T, redeclared bool) {
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
	if redeclared {
		r.ok("service s tie_stdin_to=") // takes effect at the next start
	}
	rep := r.async("command unbind web")
	select {
	case got := <-rep:
		if got.Err == nil {
			c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, time.Second)
			if err == nil {
				c.Close()
			}
			t.Fatalf("unbind answered OK while the respawn's launch held the socket as fd 0 (socket still accepting: %v)", err == nil)
		}
		// the controller sees it starting (its launch under way,
		// REFERENCE §2.1), a run launched with the socket, and refuses
		// as for any up service, declared since without it or not; had
		// it not seen the launch yet, the service refuses it itself
		// (`... (its launch under way uses socket 'web')`)
		want := "socket 'web' is in use by s"
		if !strings.Contains(got.Err.Error(), want) {
			t.Errorf("unbind refused with %q, want it to say %q", got.Err, want)
		}
	case <-time.After(deadline):
		t.Fatal("unbind not answered while the respawn's launch was under way")
	}
	free()
	r.expectSeq("s", fail, starting)
	r.shutdownClean()
}
