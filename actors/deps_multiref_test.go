package actors

import (
	"slices"
	"syscall"
	"testing"
)

// One request of several selectors (`command stop service db service
// app`, REFERENCE §1.4) selects each service once and plans them
// together, whatever the order of the selectors: the stop of db brings
// app down first, app being selected too answers for itself, both are
// counted. Sent one request per selector (cfkctl did), `stop db app`
// failed `Service 'app' is already down` (the stop of db had taken it
// down) while `stop app db` succeeded. A service down before the request
// keeps its compat error; a selector that selects nothing refuses the
// request whole (REFERENCE §2.8).
func TestSeveralSelectorsPlannedTogether(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	r.declare([]string{"app", "db", "other"}, "app requires=db", "app tags=t", "db tags=t")
	ups := 0
	upBoth := func(line string) {
		r.t.Helper()
		from := r.mark()
		r.okDone(line, 2)
		r.expectSeq("db", starting, running)
		r.expectSeq("app", starting, running)
		r.inOrder(from, "db:running", "app:starting")
		ups++
		if db, app := len(r.launchesOf("db")), len(r.launchesOf("app")); db != ups || app != ups {
			t.Fatalf("after %q: %d launches of db, %d of app, want %d each", line, db, app, ups)
		}
	}
	downBoth := func(line string) {
		r.t.Helper()
		from := r.mark()
		r.okDone(line, 2)
		r.expectSeq("app", stopping, stopped)
		r.expectSeq("db", stopping, stopped)
		r.inOrder(from, "app:stopped", "db:stopping")
	}
	for _, order := range [][2]string{{"db", "app"}, {"app", "db"}} {
		upBoth("command start service " + order[0] + " service " + order[1])
		downBoth("command stop service " + order[0] + " service " + order[1])
		upBoth("command up service " + order[0] + " service " + order[1])
		downBoth("command down service " + order[0] + " service " + order[1])
	}
	// a tag and a name it selects: each once
	upBoth("command start tag t service db service db")
	r.okDone("command signal HUP service app tag t", 2)
	hups := slices.DeleteFunc(r.fake.allSignals(), func(s signalRec) bool { return s.Sig != syscall.SIGHUP })
	if len(hups) != 2 {
		t.Fatalf("%d SIGHUPs for signal HUP service app tag t, want 2 (each once): %+v", len(hups), hups)
	}
	downBoth("command stop service db tag t")

	// down before the request: the compat error, first in name order
	r.fails("command stop service db service app", "Service 'app' is already down")
	got := r.ok("command start service db service other")
	r.expectSeq("db", starting, running)
	r.expectSeq("other", starting, running)
	if want := []string{"done 2"}; !slices.Equal(got, want) {
		t.Fatalf("start db other: %q", got)
	}
	got = r.ok("command stop service app service db")
	r.expectSeq("db", stopping, stopped)
	if want := []string{"done 1", "app: Service 'app' is already down"}; !slices.Equal(got, want) {
		t.Fatalf("stop app db, app down: %q, want %q", got, want)
	}

	// a selector that selects nothing: nothing done
	r.fails("command stop service other service nosuch", "Couldn't find a valid service. bailing.")
	r.fails("command stop tag nosuch service other", "Couldn't find a valid service. bailing.")
	r.expectQuiet("other", window)
	// all among them is all
	got = r.ok("command stop service other all")
	r.expectSeq("other", stopping, stopped)
	if want := []string{"done 1", "app: Service 'app' is already down", "db: Service 'db' is already down"}; !slices.Equal(got, want) {
		t.Fatalf("stop other all: %q, want %q", got, want)
	}
}
