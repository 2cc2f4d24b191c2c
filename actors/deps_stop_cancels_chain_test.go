package actors

import (
	"slices"
	"testing"
)

// A stop that cancels a step in the middle of a rolling restart leaves the
// steps after it in the chain: the next one still waits for the one
// before the cancelled one to run again, never two restarted at once.
func TestRequiresStopInRollingRestartKeepsOneAtATime(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	r.declare([]string{"w1", "w2", "w3"}, "w1 tags=web", "w2 tags=web", "w3 tags=web")
	r.okDone("command start tag web", 3)
	for _, n := range []string{"w1", "w2", "w3"} {
		r.expectSeq(n, starting, running)
	}
	r.ok("service w1 startwait_secs=1.5")
	from := r.mark()
	ch := r.async("command rollingrestart tag web")
	r.expectSeq("w1", stopping, stopped, starting)
	r.okDone("command stop service w2", 1)
	r.expectSeq("w2", stopping, stopped)
	r.expectSeq("w1", running)
	r.expectSeq("w3", stopping, stopped, starting, running)
	r.inOrder(from, "w1:running", "w3:stopping")
	rep := r.reply("rollingrestart web", ch)
	want := []string{"done 2", "w2: Service 'w2': restart cancelled by a stop"}
	if rep.Err != nil || !slices.Equal(rep.Lines, want) {
		t.Fatalf("rollingrestart: %v %q, want %q", rep.Err, rep.Lines, want)
	}
	if st := r.status("w2")[1]; st != "stopped" {
		t.Fatalf("w2 %s after its stop", st)
	}
}

// The same when what the cancelled start required is selected too: `start
// db app` is answered once app's start is cancelled, as `start db` is
// once db is launched, not once db runs (it may never).
func TestRequiresStopCancelsWithoutWaitingForSelectedRequired(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	r.declare([]string{"app", "db"}, "app requires=db", "db startwait_secs=60", "app tags=t", "db tags=t")
	ch := r.async("command start tag t")
	r.expectSeq("db", starting)
	r.okDone("command stop service app", 1)
	rep := r.reply("start t", ch)
	want := []string{"done 1", "app: Service 'app': start cancelled by a stop"}
	if rep.Err != nil || !slices.Equal(rep.Lines, want) {
		t.Fatalf("start t: %v %q, want %q", rep.Err, rep.Lines, want)
	}
	r.okDone("command stop service db", 1)
	r.expectSeq("db", stopping, stopped)
	if n := len(r.launchesOf("app")); n != 0 {
		t.Fatalf("app launched %d times after its stop", n)
	}
}
