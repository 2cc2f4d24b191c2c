package osproc

import (
	"errors"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/internal/nss"
)

// The file system work cfkd does for a launch before the fork (the
// program's look-up, a stat per directory of the PATH; its working
// directory) on a hung NFS or FUSE mount never ended: Launch (and a
// restart's CheckProgram) waited for ever, holding a launch worker, and
// the service stayed `starting` with no reason. Each path now waits
// PathTimeout at most, fails with an *nss.TimeoutError naming it, and
// stays in flight once: the launches after it fail at once rather than
// starting another stat (REFERENCE §2.1).
func TestLaunchOnAHungPathIsBounded(t *testing.T) {
	hung := t.TempDir() // answers, but for the hook
	release := make(chan struct{})
	var mu sync.Mutex
	calls := map[string]int{}
	oldT, oldH := pathTimeout, statHook
	pathTimeout = 50 * time.Millisecond
	statHook = func(p string) {
		if p == hung || strings.HasPrefix(p, hung+"/") {
			mu.Lock()
			calls[p]++
			mu.Unlock()
			<-release
		}
	}
	released := false
	t.Cleanup(func() {
		if !released {
			close(release)
		}
		// the stats still in flight read statHook: wait for them
		deadline := time.Now().Add(10 * time.Second)
		for pathFlights.InFlight() > 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		pathTimeout, statHook = oldT, oldH
	})
	exited := func(int, syscall.WaitStatus) {}
	launch := func(spec Spec, want string) {
		t.Helper()
		done := make(chan error, 1)
		go func() {
			p, err := launcher.Launch(spec, exited)
			if p != nil {
				launcher.Signal(p, syscall.SIGKILL)
			}
			done <- err
		}()
		select {
		case err := <-done:
			var te *nss.TimeoutError
			if !errors.As(err, &te) || err.Error() != want {
				t.Fatalf("Launch(%q in %q) = %v, want %s", spec.Argv, spec.Dir, err, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("Launch(%q in %q) did not return in 10s", spec.Argv, spec.Dir)
		}
	}
	prog := hung + "/prog"
	for range 3 {
		launch(Spec{Argv: []string{prog}}, "program "+prog+" did not answer within 50ms")
	}
	path := hung + ":/bin:/usr/bin"
	launch(Spec{Argv: []string{"sleep", "5"}, Env: []string{"PATH=" + path}}, "program sleep in PATH "+path+" did not answer within 50ms")
	for range 2 {
		launch(Spec{Argv: []string{"/bin/true"}, Dir: hung}, "cwd "+hung+" did not answer within 50ms")
	}
	if err := launcher.CheckProgram(Spec{Argv: []string{"/bin/true"}, Dir: hung}); err == nil || err.Error() != "cwd "+hung+" did not answer within 50ms" {
		t.Fatalf("CheckProgram in a hung cwd: %v", err)
	}
	if err := launcher.CheckProgram(Spec{Argv: []string{prog}}); err == nil || err.Error() != "program "+prog+" did not answer within 50ms" {
		t.Fatalf("CheckProgram of a hung program: %v", err)
	}
	mu.Lock()
	if calls[prog] != 1 || calls[hung] != 1 {
		t.Errorf("stats of %s: %d, of %s: %d; want 1 each in flight", prog, calls[prog], hung, calls[hung])
	}
	mu.Unlock()
	if n := pathFlights.InFlight(); n != 3 {
		t.Errorf("%d look-ups in flight, want 3 (the program, the PATH, the cwd)", n)
	}
	// the mount answers: the late answers are dropped, and the next
	// launch looks again
	released = true
	close(release)
	// (a launch meanwhile would find the path known not to answer)
	for end := time.Now().Add(10 * time.Second); pathFlights.InFlight() != 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("the stats still in flight 10s after the mount answered")
		}
	}
	// its stats answer, within the usual bound: 50 ms is the hung ones',
	// which a loaded machine under -race can take to answer a stat
	pathTimeout = oldT
	c := start(t, Spec{Argv: []string{"/bin/sh", "-c", "exit 0"}, Dir: hung})
	if ws := c.wait(t); ws.ExitStatus() != 0 {
		t.Fatalf("exit %v", ws)
	}
}
