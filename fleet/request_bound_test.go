package fleet

import (
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
)

// TestHubAnswersWithinTheRequestsBound: a host that accepts a request and
// then says nothing (stopped; a restart waiting out a long stopwait_secs)
// was given actors.RequestTimeout from its acceptance. A host of a
// rolling-hosts request is asked once the previous ones are done: its
// deadline fell after the admin connection's own 10 minutes, which
// answered `no answer after 10m0s` and closed, the other hosts' outcomes
// lost, while the hub went on with the next hosts unseen (three hosts
// whose services take 220 s to be running). The hub now answers within
// requestBound of the request, each host that has not answered being
// down.
func TestHubAnswersWithinTheRequestsBound(t *testing.T) {
	bound := requestBound
	requestBound = 3 * time.Second
	t.Cleanup(func() { requestBound = bound })
	tf := newTestFleet(t, "web1", "web2")
	tf.locals[0].delay = 1500 * time.Millisecond // web1: done after 1.5 s
	tf.locals[1].delay = time.Hour               // web2: accepts, then nothing
	st, err := messages.Parse("command fleet rolling-hosts restart tag web")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	ch := make(chan messages.Reply, 1)
	tf.hub.Handler().Request(st.(messages.Fleet), func(r messages.Reply) { ch <- r })
	var r messages.Reply
	select {
	case r = <-ch:
	case <-time.After(requestBound + 2*time.Second):
		t.Fatalf("no reply %v after the request (its bound: %v)", time.Since(start), requestBound)
	}
	_, out := outcomes(t, r)
	if out["web1"].Kind != messages.FleetOK || out["web2"].Kind != messages.FleetDown || out["web2"].Text != "no answer within 3s of the request" {
		t.Fatalf("%+v", out)
	}
}

// TestRollingRequestOutOfTime: a rolling request whose previous host
// answered once no time was left of the request's bound sent the next
// host the request all the same, with a deadline already past: that host
// ran it, and was reported `down` (no answer within the bound). It is
// `skipped` now, asked nothing.
func TestRollingRequestOutOfTime(t *testing.T) {
	old := hubNow
	t.Cleanup(func() { hubNow = old }) // after the fleet's own cleanup
	hubNow = func() time.Time { return time.Now().Add(requestBound + time.Second) }
	tf := newTestFleet(t, "web1", "web2")
	st, err := messages.Parse("command fleet rolling-hosts restart tag web")
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan messages.Reply, 1)
	tf.hub.Handler().Request(st.(messages.Fleet), func(r messages.Reply) { ch <- r })
	var r messages.Reply
	select {
	case r = <-ch:
	case <-time.After(30 * time.Second):
		t.Fatal("no reply")
	}
	_, out := outcomes(t, r)
	if want := "no time left within " + requestBound.String() + " of the request"; out["web1"].Kind != messages.FleetOK ||
		out["web2"].Kind != messages.FleetSkipped || out["web2"].Text != want {
		t.Fatalf("%+v, want web1 ok and web2 skipped: %s", out, want)
	}
	if asked := tf.locals[1].askedVerbs(); len(asked) != 0 {
		t.Errorf("web2 was asked %q", asked)
	}
}
