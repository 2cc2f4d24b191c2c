package actors

import (
	"testing"
)

// REFERENCE §1.4 (apply): the changed services that are up are restarted
// "all at once as restart does (each once what it requires runs, taking
// along the dependents that run, §2.8), or with rolling one at a time";
// §2.8: rollingrestart "does the same one service at a time: the selected
// services, each after what it requires, then their dependents". The
// non-rolling apply restarts app along with a changed db
// (TestApplyRestartTakesDependents); the rolling one must restart the same
// services, only one at a time.
func TestRollingApplyTakesDependents(t *testing.T) {
	t.Parallel()
	r := appOnDB(t)
	ch := r.async(applyReq("rolling", depsDB+depsApp+"service db cmd=sleep 200\n"))
	r.expectSeq("db", stopping, stopped, starting, running)
	rep := r.reply("rolling apply", ch)
	if rep.Err != nil {
		t.Fatalf("apply: %v", rep.Err)
	}
	// app requires db and runs: a restart of db takes it along
	r.expectSeq("app", stopping, stopped, starting, running)
}

// A rolling apply restarts a changed app without first bringing up the db
// it requires (§2.8: a restart or rollingrestart of app first brings up
// every service app requires, and asks app once they all run); the
// non-rolling apply does bring db up first.
func TestRollingApplyWaitsForWhatItRequires(t *testing.T) {
	t.Parallel()
	r := appOnDB(t)
	r.ok("service db respawn_on_fail=0")
	// db crashes: app, which requires it, is left as it is (§2.8 "Not covered")
	dbPid := r.fake.allLaunches()[0].Pid
	r.fake.exit(t, dbPid, exitCode(1))
	r.expectSeq("db", fail)
	file := depsDB + "service db respawn_on_fail=0\n" +
		"service app cmd=sleep 200\nservice app startwait_secs=0.02\nservice app requires=db\n"
	ch := r.async(applyReq("rolling", file))
	rep := r.reply("rolling apply", ch)
	if rep.Err != nil {
		t.Fatalf("apply: %v", rep.Err)
	}
	// db must have been brought up before app was started again
	r.expectSeq("db", starting, running)
	r.expectSeq("app", stopping, stopped, starting, running)
}
