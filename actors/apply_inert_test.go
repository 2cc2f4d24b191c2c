package actors

import (
	"testing"
	"time"
)

// A change of watchdog_secs on a service without ready=notify, or of
// ready_timeout_secs on one without ready, acts on nothing (REFERENCE
// §2.9): an apply declares it, '~ app: ready_timeout_secs,
// watchdog_secs', and the process runs on (it was restarted). Nor does
// such a change, declared on the console, make the run one of a former
// declaration that the next apply restarts.
func TestApplyInertReadinessKeepsTheRun(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	app := "service app cmd=sleep 100\nservice app startwait_secs=0.02\n"
	r.applyOK("", app, "+ app")
	r.okDone("command start service app", 1)
	r.expectSeq("app", starting, running)
	launches := r.fake.launchCount()
	inert := app + "service app watchdog_secs=5\nservice app ready_timeout_secs=5\n"
	r.applyOK("", inert, "~ app: ready_timeout_secs, watchdog_secs (in place)")
	r.applyOK("", inert, "no changes")
	if n := r.fake.launchCount(); n != launches {
		t.Fatalf("%d launches after the apply, want none", n-launches)
	}
	r.ok("service app watchdog_secs=7")
	r.applyOK("", app+"service app watchdog_secs=7\nservice app ready_timeout_secs=5\n", "no changes")
	r.expectQuiet("app", 100*time.Millisecond)
	if n := r.fake.launchCount(); n != launches {
		t.Fatalf("%d launches after the applies, want none", n-launches)
	}
}
