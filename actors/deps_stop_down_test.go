package actors

import (
	"slices"
	"testing"
)

// `stop db` when db is down but what requires it runs (left up by a crash
// of db) brings those down, as before, and is answered `done 1`, as
// systemd's stop of an inactive unit whose dependents it stopped: before,
// it answered `Service 'db' is already down`, and a `stop db || alert`
// script took the stop for a failure. With nothing that requires it up,
// the compat reply stays (REFERENCE §2.2, §2.8).
func TestStopOfADownServiceThatTookDependentsDown(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	r.declare([]string{"app", "cache", "db", "web"},
		"app requires=cache", "cache requires=db", "web requires=app",
		"db respawn_on_fail=0", "cache respawn_on_fail=0", "db tags=t", "web tags=t")
	all := []string{"db", "cache", "app", "web"}
	startAll := func() {
		r.t.Helper()
		r.okDone("command start service web", 1)
		for _, n := range all {
			r.expectSeq(n, starting, running)
		}
	}
	crash := func(name string) {
		r.t.Helper()
		l := r.launchesOf(name)
		r.fake.exit(t, l[len(l)-1].Pid, exitCode(1))
		r.expectSeq(name, fail)
	}
	startAll()
	crash("db")
	r.okDone("command stop service db", 1)
	for _, n := range all[1:] {
		r.expectSeq(n, stopping, stopped)
	}
	// nothing that requires it is up: the compat error
	r.fails("command stop service db", "Service 'db' is already down")

	// transitively: cache is down too, app (which requires cache) is up
	startAll()
	crash("cache")
	crash("db")
	r.okDone("command stop service db", 1)
	r.expectSeq("web", stopping, stopped)
	r.expectSeq("app", stopping, stopped)

	// a multi-service stop: db is counted, not an error line; web, down
	// already, keeps its error
	r.okDone("command start service app", 1)
	for _, n := range all[:3] {
		r.expectSeq(n, starting, running)
	}
	crash("db")
	got := r.ok("command stop tag t")
	want := []string{"done 1", "web: Service 'web' is already down"}
	if !slices.Equal(got, want) {
		t.Fatalf("stop tag t\n got %q\nwant %q", got, want)
	}
	r.expectSeq("app", stopping, stopped)
	r.expectSeq("cache", stopping, stopped)
}
