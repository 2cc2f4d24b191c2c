//go:build linux

package osproc

import (
	"os"
	"syscall"
	"testing"
	"time"
)

// withSweepGap sets the sweep's gap for the test, and returns a channel
// told of each sweep put off.
func withSweepGap(t *testing.T, gap time.Duration) <-chan time.Duration {
	putOffs := make(chan time.Duration, 100)
	hook := func(d time.Duration) {
		select {
		case putOffs <- d:
		default:
		}
	}
	testSweepGap.Store(int64(gap))
	testSweepPutOff.Store(&hook)
	t.Cleanup(func() {
		testSweepGap.Store(0)
		testSweepPutOff.Store(nil)
	})
	return putOffs
}

// startReader starts `sh -c 'read x; exit 7'` on a pipe: it exits, never
// signalled, once the returned function closes its stdin.
func startReader(t *testing.T) (*child, func()) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	c := start(t, Spec{Argv: sh("read x; exit 7"), Stdin: r})
	r.Close()
	t.Cleanup(func() { w.Close() })
	return c, func() { w.Close() }
}

// TestSuspectReapedFirst: one SIGCHLD for two exits (both made while
// frozen, then Thaw), a signalled child's and an older unsignalled
// one's, which waitid(P_ALL) finds first. The signalled child is reaped
// at once, before the sweep it comes too soon after (put off); the other
// one's exit is not lost: the sweep put off reaps it.
func TestSuspectReapedFirst(t *testing.T) {
	putOffs := withSweepGap(t, 2*time.Second)
	unsignalled, end := startReader(t) // older: first in the kernel's list
	signalled := start(t, Spec{Argv: []string{"sleep", "100"}})
	recent := start(t, Spec{Argv: sh("exit 0")}) // a sweep now: the next one is put off
	recent.wait(t)

	launcher.Freeze()
	thawed := false
	thaw := func() {
		if !thawed {
			thawed = true
			launcher.Thaw()
		}
	}
	t.Cleanup(thaw)
	if err := launcher.Signal(signalled.Process, syscall.SIGTERM); err != nil {
		thaw()
		t.Fatal(err)
	}
	end()
	for _, c := range []*child{unsignalled, signalled} {
		eventually(t, "both children zombies, not reaped", func() (bool, string) {
			info, ok := ReadProc(c.Pid)
			return ok && info.State == 'Z', string(info.State)
		})
	}
	thaw()

	select {
	case e := <-signalled.exit:
		if !e.ws.Signaled() || e.ws.Signal() != syscall.SIGTERM {
			t.Errorf("signalled child: status %v, want killed by SIGTERM", e.ws)
		}
	case e := <-unsignalled.exit:
		t.Fatalf("the unsignalled child (status %v) was reaped before the signalled one: no suspect was asked first", e.ws)
	case <-time.After(deadline):
		t.Fatal("the signalled child was not reaped")
	}
	if ws := unsignalled.wait(t); !ws.Exited() || ws.ExitStatus() != 7 {
		t.Errorf("unsignalled child: status %v, want exit 7", ws)
	}
	select {
	case <-putOffs:
	default:
		t.Error("no sweep was put off")
	}
}

// TestSweepPutOff: an exit within the gap of the last sweep is reaped by
// a sweep put off, not lost; one after the gap at once.
func TestSweepPutOff(t *testing.T) {
	// a gap of 3 s: the second exit must come within it of the sweep that
	// reaped the first, and its shell took a second to run on a loaded
	// CI machine once (a gap of 1 s: it was reaped at once); the test
	// waits for the put-off sweep, up to the gap
	const gap = 3 * time.Second
	putOffs := withSweepGap(t, gap)
	first, endFirst := startReader(t)
	second, endSecond := startReader(t)
	endFirst()
	first.wait(t)
	for len(putOffs) > 0 { // the first exit may follow another test's sweep
		<-putOffs
	}
	endSecond() // within the gap of the sweep that reaped the first
	select {
	case d := <-putOffs:
		if d <= 0 || d > gap {
			t.Errorf("sweep put off by %v, want (0, %v]", d, gap)
		}
	case e := <-second.exit:
		t.Fatalf("the second exit (status %v) was reaped at once, within the gap", e.ws)
	case <-time.After(deadline):
		t.Fatal("no sweep put off")
	}
	if ws := second.wait(t); ws.ExitStatus() != 7 {
		t.Errorf("second child: status %v, want exit 7", ws)
	}
}

// TestSweepGapFollowsItsCost: the gap after a sweep is ten times what it
// took, 20 ms at most. With a fixed 20 ms, a stop of 200 services (each
// sweep a few microseconds) reaped the exits that came after the first
// sweep 20 ms later, past twice the bare loop's stop of them.
func TestSweepGapFollowsItsCost(t *testing.T) {
	for _, c := range []struct {
		cost     time.Duration
		min, max time.Duration
	}{
		{cost: 20 * time.Microsecond, min: 0, max: 200 * time.Microsecond},
		{cost: time.Millisecond, min: 5 * time.Millisecond, max: 10 * time.Millisecond},
		{cost: 50 * time.Millisecond, min: 15 * time.Millisecond, max: sweepGap},
	} {
		l := &Launcher{lastSweep: time.Now(), lastSweepCost: c.cost}
		if d := l.sweepDelay(); d < c.min || d > c.max {
			t.Errorf("a sweep of %v just now: the next put off %v, want %v to %v", c.cost, d, c.min, c.max)
		}
	}
	l := &Launcher{lastSweep: time.Now().Add(-time.Millisecond), lastSweepCost: 20 * time.Microsecond}
	if d := l.sweepDelay(); d != 0 {
		t.Errorf("a sweep of 20µs 1ms ago: the next put off %v, want none", d)
	}
}

// TestStaleSuspectsForgotten: more than maxSuspects children signalled
// with a signal they ignore (a SIGHUP to reload) stay alive; once stale
// they are forgotten at the next SIGCHLD, and a child signalled
// afterwards is asked alone again. They held the suspects' places for
// good, and every later exit waited for the sweep.
func TestStaleSuspectsForgotten(t *testing.T) {
	if !canPeek {
		t.Skip("no waitid peek on this kernel")
	}
	const life = 100 * time.Millisecond
	testSuspectLife.Store(int64(life))
	t.Cleanup(func() { testSuspectLife.Store(0) })
	var hupped []*child
	for range maxSuspects + 1 {
		hupped = append(hupped, start(t, Spec{Argv: sh("trap '' HUP; exec sleep 100")}))
	}
	for _, c := range hupped {
		// the trap is set once sh has exec'd sleep
		eventually(t, "sleep running", func() (bool, string) {
			info, ok := ReadProc(c.Pid)
			return ok && info.Comm == "sleep", info.Comm
		})
		if err := launcher.Signal(c.Process, syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
	}
	suspects := func() int {
		launcher.suspectMu.Lock()
		defer launcher.suspectMu.Unlock()
		return len(launcher.suspects)
	}
	if n := suspects(); n <= maxSuspects {
		t.Fatalf("%d suspects after %d signals", n, maxSuspects+1)
	}
	time.Sleep(life)                           // they grow stale: time passing is what is waited for
	start(t, Spec{Argv: sh("exit 0")}).wait(t) // a SIGCHLD: the stale suspects are forgotten
	if n := suspects(); n != 0 {
		t.Fatalf("%d suspects still after they grew stale and a SIGCHLD came", n)
	}
	signalled := start(t, Spec{Argv: []string{"sleep", "100"}})
	if err := launcher.Signal(signalled.Process, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if n := suspects(); n != 1 {
		t.Errorf("%d suspects after a signal, want 1: asked alone", n)
	}
	if ws := signalled.wait(t); !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Errorf("status %v, want killed by SIGTERM", ws)
	}
	for _, c := range hupped {
		if _, ok := ReadProc(c.Pid); !ok {
			t.Errorf("pid %d ignoring SIGHUP is gone", c.Pid)
		}
	}
}
