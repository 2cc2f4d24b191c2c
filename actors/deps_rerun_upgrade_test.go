package actors

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// An upgrade while a start has a step parked on another request's
// restart (rerun.go) is refused, and the refusal names the start's steps
// not begun, the parked one among them (REFERENCE §13.4): start app, app
// requiring cache (slow) and the oneshot migrate, which requires db
// (stopped); a rolling restart of a0 and migrate, issued next, plans
// migrate's restart after a0's. Once db runs, the start's up of migrate
// waits for that restart: the start is the oldest request under way, by
// its wait for cache. Once all is done, the upgrade goes ahead.
func TestUpgradeRefusalNamesAStepParkedOnARerun(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	r.exitOneShots("migrate")
	r.declare([]string{"a0", "app", "cache", "db", "migrate"},
		"migrate oneshot=1", "migrate requires=db", "app requires=migrate,cache",
		"a0 tags=rr", "migrate tags=rr")
	r.okDone("command start service a0", 1)
	r.expectSeq("a0", starting, running)
	r.ok("service db startwait_secs=0.2", "service cache startwait_secs=1.5", "service a0 startwait_secs=0.8")
	from := r.mark()
	start := r.async("command start service app")
	r.expectSeq("cache", starting)
	r.expectSeq("db", starting)
	rolling := r.async("command rollingrestart tag rr")
	r.expectSeq("a0", stopping, stopped, starting)
	r.expectSeq("db", running)
	// the up of migrate is asked (and parked) once db's reply is in
	parked := func(l string) bool {
		return strings.Contains(l, "up migrate (blocked 0) parked on rollingrestart migrate")
	}
	for end := time.Now().Add(deadline); !slices.ContainsFunc(r.underWay(), parked); {
		if time.Now().After(end) {
			t.Fatalf("the start's up of migrate is not parked: %q", r.underWay())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := r.exportErr(false); !strings.Contains(err, "'start' is under way (2 of its steps not begun: app, migrate)") {
		t.Fatalf("export while the start waits for the rerun of migrate: %q", err)
	}
	wantDone(t, "rollingrestart tag rr", r.reply("rollingrestart", rolling), "done 2")
	wantDone(t, "start app", r.reply("start app", start), "done 1")
	r.inOrder(from, "db:running", "a0:running", "migrate:starting", "migrate:stopped", "app:starting")
	r.export(false)
}
