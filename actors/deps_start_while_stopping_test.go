package actors

import (
	"slices"
	"strings"
	"syscall"
	"testing"
)

// `start service db service app` while a stop of db waits for db's end
// (a slow stop: its SIGKILL to come): db's own start is refused
// `Service 'db' is already up` (compat, REFERENCE §1.4), and app, which
// requires db, waited for db to run without anything starting it: app
// failed `requires 'db': Service 'db' did not come back up: stopped`
// once db was down, both left down, where `start service app` alone
// started db again once down, then app. Now the wait that follows db's
// own start starts it again once down, as `up` does, and app starts once
// db runs (REFERENCE §2.8, the `await running` row of §2.7).
func TestStartOfWhatIsRequiredWhileItStops(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.declare([]string{"db"})
	r.okDone("command start service db", 1)
	r.expectSeq("db", starting, running)
	db := r.launchesOf("db")[0].Pid
	r.declare([]string{"app"}, "app requires=db")

	stop := r.async("command stop service db")
	r.fake.waitSignal(t, db, syscall.SIGTERM) // db does not end yet
	r.expectSeq("db", stopping)
	start := r.async("command start service db service app")
	r.noReply("start db app", start, window)
	r.fake.exit(t, db, syscall.WaitStatus(syscall.SIGTERM))
	if rep := r.reply("stop db", stop); rep.Err != nil {
		t.Fatalf("stop db: %v %q", rep.Err, rep.Lines)
	}
	rep := r.reply("start db app", start)
	if rep.Err != nil || !slices.Contains(rep.Lines, "db: Service 'db' is already up") {
		t.Fatalf("start db app: %v %q, want app started and db's own line `already up`", rep.Err, rep.Lines)
	}
	for _, l := range rep.Lines {
		if strings.HasPrefix(l, "app:") {
			t.Fatalf("start db app: %q: app not started", rep.Lines)
		}
	}
	r.expectSeq("db", stopped, starting, running)
	r.expectSeq("app", starting, running)
	if n := len(r.launchesOf("db")); n != 2 {
		t.Fatalf("db launched %d times, want 2 (once more, after the stop)", n)
	}
}
