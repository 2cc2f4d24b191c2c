package actors

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/lifecycle"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/upgrade"
)

// A ready_timeout_secs declared or changed while a run starts applies
// from the next launch, as ready= and watchdog_secs (REFERENCE §2.9).
// Before, changed during startwait it applied to the run (a bound of
// 0.3 s raised to 60 s let it start on for a minute), and changed once
// startwait was over the run was ended at its armed bound with the
// reason of the new one ('Not ready after 1m0s' after 0.3 s).
func TestReadyTimeoutIsTheRuns(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	r.ok("service s cmd=sleep 100", "service s ready=tcp:127.0.0.1:1", "service s respawn_on_fail=0")
	for _, afterStartwait := range []bool{false, true} {
		// the change must land inside a window of the run (its startwait;
		// after it, before its ready timeout): a machine too busy to land
		// it there tells nothing, and is tried again with a longer run
		for scale := time.Duration(1); !readyTimeoutRun(t, r, afterStartwait, scale); scale *= 2 {
			if scale >= 8 {
				t.Fatalf("changed after startwait %v: the change never landed in its window (startwait %v, ready timeout %v)",
					afterStartwait, 300*time.Millisecond*scale, 400*time.Millisecond*scale)
			}
			t.Logf("changed after startwait %v: the change missed its window: again with a run %d times as long", afterStartwait, 2*scale)
		}
	}
	// the next run has the new bound
	r.ok("service s startwait_secs=0.3")
	r.okDone("command start service s", 1)
	r.expectSeq("s", starting)
	r.expectNone("s", messages.Stopping, time.Second)
	r.okDone("command stop service s", 1)
	r.expectSeq("s", stopping, stopped)
}

// readyTimeoutRun starts s with startwait_secs 0.3 and ready_timeout_secs
// 0.4 (times scale), raises ready_timeout_secs to 60 during its startwait,
// or after it (the ready timeout armed), and checks that the run is ended
// at its own bound, with that bound's reason. It says whether the change
// landed in that window, and s is left failed.
func readyTimeoutRun(t *testing.T, r *rig, afterStartwait bool, scale time.Duration) (landed bool) {
	t.Helper()
	startwait, bound := 300*time.Millisecond*scale, 400*time.Millisecond*scale
	r.ok(fmt.Sprintf("service s startwait_secs=%g", startwait.Seconds()), fmt.Sprintf("service s ready_timeout_secs=%g", bound.Seconds()))
	r.okDone("command start service s", 1)
	ev := r.expectSeq("s", starting)
	// the timer of the run's lifecycle: startwait, then the ready timeout,
	// none once stopping
	timer := func() lifecycle.TimerKind {
		ex := r.export(false)
		if len(ex.Services) != 1 || ex.Services[0].Lifecycle.State != messages.Starting {
			return lifecycle.TimerNone
		}
		return ex.Services[0].Lifecycle.Timer
	}
	want := lifecycle.TimerStartWait
	if afterStartwait {
		want = lifecycle.TimerReady
		waitFor(t, "the ready timeout armed, or the run over", func() bool {
			tm := timer()
			return tm == lifecycle.TimerReady || tm != lifecycle.TimerStartWait
		})
	}
	r.ok("service s ready_timeout_secs=60")
	// answered: the change landed before this look, which sees the run
	// still in its window
	landed = timer() == want
	got := r.expectSeq("s", stopping, fail)
	if d := got[0].At.Sub(ev[0].At); d > bound+4600*time.Millisecond {
		t.Fatalf("changed after startwait %v: stopped %v after its launch, want the run's %v", afterStartwait, d, bound)
	}
	if want := "Not ready after " + bound.String(); got[1].Reason != want {
		t.Fatalf("changed after startwait %v: reason %q, want the run's bound (%q)", afterStartwait, got[1].Reason, want)
	}
	return landed
}

// The run's ready timeout crosses an upgrade in place: the new cfkd ends
// an adopted starting run with the bound it was launched with.
func TestReadyTimeoutOfTheRunCrossesAnUpgrade(t *testing.T) {
	t.Parallel()
	old := newRig(t)
	old.ok("service s cmd=sleep 100", "service s ready=tcp:127.0.0.1:1", "service s respawn_on_fail=0",
		"service s startwait_secs=0.02", "service s ready_timeout_secs=0.5")
	old.okDone("command start service s", 1)
	old.expectSeq("s", starting)
	old.ok("service s ready_timeout_secs=60")
	ex := old.export(true)
	if len(ex.Services) != 1 || ex.Services[0].RunReadyTimeout == nil || *ex.Services[0].RunReadyTimeout != 500*time.Millisecond {
		t.Fatalf("exported run ready timeout: %+v", ex.Services)
	}
	nw := newRig(t, func(o *Options) {
		o.Launcher = &adoptingFake{fakeLauncher: o.Launcher.(*fakeLauncher), stopping: map[string]bool{}}
	})
	if _, err := nw.tree.System.Root.RequestFuture(nw.tree.Controller, RestoreState{State: &upgrade.State{Services: ex.Services}}, deadline).Result(); err != nil {
		t.Fatal(err)
	}
	pid := nw.expectSeq("s", stopping)[0].Pid
	// the adopted process is not the fake's: its end is said for it
	nw.tree.System.Root.Send(nw.servicePID("s"), messages.ProcessExited{Pid: pid, Status: killedBy(syscall.SIGTERM)})
	if got := nw.expectSeq("s", fail); got[0].Reason != "Not ready after 500ms" {
		t.Fatalf("reason %q, want the run's bound", got[0].Reason)
	}
}
