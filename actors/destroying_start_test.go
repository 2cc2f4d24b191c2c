package actors

import (
	"testing"
)

// REFERENCE §2.5 (as b5d9ea4 words it): while a service is being destroyed
// a start, a restart or a declaration of it is refused with `Service 'NAME'
// is being destroyed`, "from the destroy's start, while what requires it
// is brought down first". The controller marked the service destroying at
// plan time, but only declarations and applies looked at the mark: a start
// sent while the destroy waited for a dependent to go down was accepted and
// launched the service that was being destroyed.
func TestStartDuringDestroyOfARequiredService(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.declare([]string{"app", "db"})
	r.okDone("command start service app", 1)
	r.expectSeq("app", starting, running)
	r.ok("service app requires=db") // db is stopped: no cycle, nothing started
	apppid := r.launchesOf("app")[0].Pid
	// app ignores SIGTERM for now: the destroy of db waits for it
	destroy := r.sendNow("command destroy service db")
	r.expectSeq("app", stopping)

	rep := r.exec("command start service db")
	launched := len(r.launchesOf("db"))

	r.fake.exit(t, apppid, killedBy(15))
	if launched > 0 {
		dbpid := r.launchesOf("db")[0].Pid
		r.fake.waitSignal(t, dbpid, 15)
		r.fake.exit(t, dbpid, killedBy(15))
	}
	if d := r.answerOf("destroy service db", destroy); d.Err != nil {
		t.Fatalf("destroy db: %v %q", d.Err, d.Lines)
	}
	const want = "Service 'db' is being destroyed"
	if rep.Err == nil || rep.Err.Error() != want {
		t.Fatalf("start service db during its destroy: got %v %q (db launched %d times), want error %q",
			rep.Err, rep.Lines, launched, want)
	}
}
