package actors

import "testing"

// A start that waits for a service it requires to be running, while an
// apply --prune destroys that service, fails saying it was destroyed: it
// said `requires 'db': Service 'db' did not come back up: stopped`, as
// if db had stopped by itself (REFERENCE §2.8).
func TestStartWaitingForAServiceDestroyedSaysDestroyed(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	// db is starting for 100 s: app's start waits for it
	r.ok("service db cmd=sleep 100", "service db startwait_secs=100", "service app cmd=sleep 100", "service app requires=db")
	start := r.async("command start service app")
	r.expectSeq("db", starting)
	// the file keeps app, without its requires, and leaves db out
	r.applyOK("prune", "service app cmd=sleep 100\n", "~ app: requires (in place)", "- db")
	rep := r.reply("start app", start)
	want := "Service 'app' cannot start: requires 'db': Service 'db' did not come back up: destroyed"
	if rep.Err == nil || rep.Err.Error() != want {
		t.Fatalf("start app: %v %q, want %q", rep.Err, rep.Lines, want)
	}
}
