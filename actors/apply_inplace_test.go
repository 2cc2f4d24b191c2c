package actors

import (
	"syscall"
	"testing"
	"time"
)

// What cfkd reads only at the stop or at the process's end (stopwait_secs,
// stop_signal, success_exit_codes, the respawn_ and restart_ attributes,
// REFERENCE §2.9) takes effect on the running process without a restart:
// an apply's plan says `(in place)` and restarts nothing for it (it
// restarted the service, and a declaration of respawn_max_retries on the
// console made its run one of a former declaration, restarted by the next
// apply). The stop then sends the signal the apply declared.
func TestApplyStopAndEndAttributesTakeEffectInPlace(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	base := "service a cmd=sleep 100\nservice a startwait_secs=0.02\n"
	r.applyOK("", base, "+ a")
	r.okDone("command start service a", 1)
	r.expectSeq("a", starting, running)
	launches := r.fake.launchCount()
	pid := r.fake.allLaunches()[launches-1].Pid
	r.ok("service a respawn_max_retries=9")
	r.applyOK("dry-run", base, "~ a: respawn_max_retries (in place)")
	file := base + "service a respawn_max_retries=9\nservice a stopwait_secs=10\nservice a stop_signal=TERM\n"
	r.applyOK("", file, "~ a: stopwait_secs (in place)")
	r.applyOK("", file+"service a success_exit_codes=3\nservice a restart_reset_secs=7\n", "~ a: restart_reset_secs, success_exit_codes (in place)")
	r.applyOK("", file, "~ a: restart_reset_secs, success_exit_codes (in place)")
	r.applyOK("", file, "no changes")
	// with one read at the launch: restarted, as the plan says
	r.applyOK("dry-run", file+"service a desc=x\nservice a startwait_secs=0.03\n", "~ a: desc, startwait_secs")
	r.expectQuiet("a", 50*time.Millisecond)
	if n := r.fake.launchCount(); n != launches {
		t.Fatalf("%d launches after the applies, want none", n-launches)
	}
	// the stop of the same run takes what the apply declared
	r.fake.setAutoTerm(false) // the test ends the process
	r.applyOK("", base+"service a respawn_max_retries=9\nservice a stop_signal=INT\n", "~ a: stopwait_secs, stop_signal (in place)")
	stopped := r.async("command stop service a")
	r.fake.waitSignal(t, pid, syscall.SIGINT)
	r.fake.exit(t, pid, syscall.WaitStatus(syscall.SIGINT))
	r.reply("stop a", stopped)
	if n := r.fake.launchCount(); n != launches {
		t.Fatalf("%d launches, want none", n-launches)
	}
}

// A run that already is the file's declaration is not restarted: a
// service running `sleep 8001`, declared `sleep 8002` on the console (not
// restarted), then applied a file of `sleep 8001`: the plan says the cmd
// changes in place, the declaration is the file's, and the process runs
// on (the plan said `(running a former declaration)` and the apply
// restarted a process that was the file's already). The next apply finds
// no changes.
func TestApplyKeepsARunThatIsTheFilesAlready(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	file := "service a cmd=sleep 8001\nservice a startwait_secs=0.02\n"
	r.applyOK("", file, "+ a")
	r.okDone("command start service a", 1)
	r.expectSeq("a", starting, running)
	launches := r.fake.launchCount()
	r.ok("service a cmd=sleep 8002")
	if i := r.info("service a"); !i[0].RunningFormer {
		t.Fatalf("inspect of a, declared anew: %+v", i[0])
	}
	r.applyOK("dry-run", file, "~ a: cmd (in place)")
	r.applyOK("", file, "~ a: cmd (in place)")
	r.expectQuiet("a", 50*time.Millisecond)
	if n := r.fake.launchCount(); n != launches {
		t.Fatalf("%d launches after the apply, want none", n-launches)
	}
	if i := r.info("service a"); i[0].RunningFormer {
		t.Fatalf("inspect of a after the apply: %+v", i[0])
	}
	r.applyOK("", file, "no changes")
	// another command than the run's and the declaration's: restarted
	r.ok("service a cmd=sleep 8002")
	r.applyOK("", "service a cmd=sleep 8003\nservice a startwait_secs=0.02\n", "~ a: cmd (running a former declaration)")
	r.expectSeq("a", stopping, stopped, starting)
	if n := r.fake.launchCount(); n != launches+1 {
		t.Fatalf("%d launches, want 1", n-launches)
	}
}
