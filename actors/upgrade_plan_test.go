package actors

import (
	"strings"
	"syscall"
	"testing"
)

// exportErr asks for an export that must be refused, and returns why.
func (r *rig) exportErr(freeze bool) string {
	r.t.Helper()
	res, err := r.tree.System.Root.RequestFuture(r.tree.Controller, ExportState{Freeze: freeze}, deadline).Result()
	if err != nil {
		r.t.Fatal(err)
	}
	ex := res.(Exported)
	if ex.Err == nil {
		r.t.Fatal("the export was not refused")
	}
	return ex.Err.Error()
}

// An upgrade in the middle of a request whose plan has steps not asked
// yet lost them: `start b`, b requiring a still starting, left b stopped
// for good after the upgrade (the start of b was to be asked once a ran,
// and the state carries no plan); a rolling restart part way left the
// rest of its services unrestarted. Such an upgrade is refused now, and
// allowed once the request is done (REFERENCE §13.4). The refusal names
// the services whose steps are not begun: the client that asked may be
// gone, and nothing else told what the upgrade waits for (a start of b
// that waits for a required service with no ready_timeout_secs refused
// every upgrade until a `stop b`).
func TestUpgradeRefusedWhileAPlanHasStepsLeft(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.ok("service a cmd=sleep 100", "service a startwait_secs=2",
		"service b cmd=sleep 100", "service b startwait_secs=0.02", "service b requires=a")
	start := r.async("command start service b")
	r.expectSeq("a", starting)
	if err := r.exportErr(false); !strings.Contains(err, "'start' is under way (1 of its steps not begun: b): try again once it is done") {
		t.Fatalf("export during the start of b: %q", err)
	}
	r.expectSeq("a", running) // after its 2 s
	r.expectSeq("b", starting, running)
	r.reply("start b", start)
	r.export(false)
}

// A stop whose dependent has its SIGTERM and is still stopping holds the
// stop of what it requires in c.downWaits, not c.pending: an upgrade went
// ahead, and db's stop, never asked, was lost at the exec (db ran on for
// good). It is refused too.
func TestUpgradeRefusedWhileAStopWaitsForADependent(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.declare([]string{"app", "db"}, "app requires=db")
	r.okDone("command start service app", 1)
	r.expectSeq("db", starting, running)
	apid := r.expectSeq("app", starting, running)[0].Pid
	stop := r.async("command stop service db")
	r.expectSeq("app", stopping) // app ignores SIGTERM for now
	r.fake.waitSignal(t, apid, syscall.SIGTERM)
	if err := r.exportErr(false); !strings.Contains(err, "'stop' is under way (1 of its steps not begun: db)") {
		t.Fatalf("export while 'stop db' waits for app to be down: %q", err)
	}
	r.fake.exit(t, apid, killedBy(syscall.SIGTERM))
	r.reply("stop db", stop)
	r.export(false)
}

// An upgrade refused because an apply is under way said only that: not
// whose, how far, nor what it waits for (a rolling restart on a service
// whose readiness has no timeout waits for ever). It says what another
// apply's refusal says (REFERENCE §1.4, §13.4).
func TestUpgradeRefusedWhileAnApplyWaitsSaysWhatFor(t *testing.T) {
	t.Parallel()
	r, first := stalledRoll(t)
	if err := r.exportErr(false); !strings.Contains(err, "an apply is under way (since ") ||
		!strings.HasSuffix(err, stalledRollUnderWay+": try again once it is done (a stop of 's' ends its wait)") {
		t.Fatalf("export during a rolling apply: %q", err)
	}
	r.fake.exit(t, r.fake.waitLaunch(t, 1).Pid, killedBy(syscall.SIGTERM))
	r.reply("apply", first)
	r.export(false)
}
