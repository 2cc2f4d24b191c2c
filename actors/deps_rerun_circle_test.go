package actors

import (
	"slices"
	"testing"

	"github.com/cfk/cfk/messages"
)

// Two rolling restarts in opposite orders (REFERENCE §2.8): A over
// {p, v, w}, v requiring x; B over {q, u, x}, u requiring w. Their
// chains are p, up x, v, w and q, up w, u, x: A's `up x` waits for B's
// restart of x, which comes after B's `up w`, which would wait for A's
// restart of w, which comes after A's `up x`. The first to get there
// waits for the other's restart; the second goes on without waiting
// (rerun.go's waitsOn), and both are answered. v and u are stopped, so
// that neither restart takes the other's along.

// circleRig declares the services of the circle, p, q, w and x running,
// and the startwaits of p and q that say which request gets to its wait
// first.
func circleRig(t *testing.T, pWait, qWait string) *rig {
	t.Helper()
	r := newRig(t)
	r.setAutoTerm()
	r.declare([]string{"p", "q", "u", "v", "w", "x"},
		"v requires=x", "u requires=w",
		"p tags=a", "v tags=a", "w tags=a",
		"q tags=b", "u tags=b", "x tags=b")
	r.okDone("command start service p service q service w service x", 4)
	for _, n := range []string{"p", "q", "w", "x"} {
		r.expectSeq(n, starting, running)
	}
	r.ok("service p startwait_secs="+pWait, "service q startwait_secs="+qWait)
	return r
}

func wantDone(t *testing.T, what string, rep messages.Reply, lines ...string) {
	t.Helper()
	if rep.Err != nil || !slices.Equal(rep.Lines, lines) {
		t.Fatalf("%s: %v %q, want %q", what, rep.Err, rep.Lines, lines)
	}
}

// A gets to its wait first (p runs again before q): its `up x` waits for
// B's restart of x; B's `up w` then goes on (waiting for A's restart of
// w would close the circle), and B restarts u and x, then A goes on.
func TestRollingRestartsInOppositeOrdersAFirst(t *testing.T) {
	t.Parallel()
	r := circleRig(t, "0.2", "0.6")
	from := r.mark()
	a := r.async("command rollingrestart tag a")
	r.expectSeq("p", stopping, stopped, starting)
	b := r.async("command rollingrestart tag b")
	r.expectSeq("q", stopping, stopped, starting)
	wantDone(t, "rollingrestart tag b", r.reply("rollingrestart tag b", b), "done 3")
	wantDone(t, "rollingrestart tag a", r.reply("rollingrestart tag a", a), "done 3")
	// A waited for B's restart of x to start v; B did not wait for A's
	// restart of w to start u
	r.inOrder(from, "p:running", "q:running", "u:starting", "x:stopping", "x:running", "v:starting", "w:stopping")
}

// B gets to its wait first (q runs again before p): its `up w` waits for
// A's restart of w; A's `up x` goes on, and A restarts v and w, then B
// goes on.
func TestRollingRestartsInOppositeOrdersBFirst(t *testing.T) {
	t.Parallel()
	r := circleRig(t, "0.6", "0.2")
	from := r.mark()
	a := r.async("command rollingrestart tag a")
	r.expectSeq("p", stopping, stopped, starting)
	b := r.async("command rollingrestart tag b")
	r.expectSeq("q", stopping, stopped, starting)
	wantDone(t, "rollingrestart tag a", r.reply("rollingrestart tag a", a), "done 3")
	wantDone(t, "rollingrestart tag b", r.reply("rollingrestart tag b", b), "done 3")
	r.inOrder(from, "q:running", "p:running", "v:starting", "w:stopping", "w:running", "u:starting", "x:stopping")
}
