package fleet

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/fleet/wire"
	"github.com/cfk/cfk/messages"
)

// A host stalled past the hub's deadline for a subscription serves the
// Subscribe once it can: the hub, which gave up on it (and subscribed
// again), tells it to end that one. Before, each stall left a stream at
// the host for good, and after 16 the host refused the hub's streams
// ("too many event streams"): fleet events flapped that host for ever.
func TestSubscriptionTheHubGaveUpIsEnded(t *testing.T) {
	tf := newTestFleet(t, "web1")
	l := tf.locals[0]
	l.mu.Lock()
	l.subDelay = 3 * time.Second // past the test fleet's 2 s
	l.mu.Unlock()
	st, _ := messages.Parse("command fleet events")
	feed, err := tf.hub.Handler().Stream(st.(messages.Fleet), true, actors.DefaultBacklog, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer feed.Close()
	end := time.Now().Add(20 * time.Second)
	for {
		l.mu.Lock()
		feeds := append([]*actors.Feed(nil), l.feeds...)
		l.mu.Unlock()
		if len(feeds) >= 2 {
			if _, _, ended := feeds[0].Take(); ended {
				if _, _, ended := feeds[len(feeds)-1].Take(); ended {
					t.Fatal("the hub's new subscription ended too")
				}
				return
			}
		}
		if time.Now().After(end) {
			t.Fatalf("%d subscriptions at the host; the one the hub gave up is still served", len(feeds))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A host that loses its connection to a hub ends that hub's streams and
// says so to the hub: a hub that was only stalled still has its own
// connection to the host, and took the stream for alive while the host
// sent nothing more (REFERENCE §12.3: a host that stops streaming adds a
// host event, and is asked again).
func TestGatewaySaysAStreamEndsWithTheHubsConnection(t *testing.T) {
	sys, g := spawnGateway(t, &fakeLocal{name: "h1"}, nil)
	hub, events := collector[*wire.Events](sys, 16)
	next := func() *wire.Events { t.Helper(); return within(t, events, "no events") }
	sys.Root.RequestWithCustomSender(g, &wire.Subscribe{Id: 7, Hub: "hub", Line: "command events"}, hub)
	if e := next(); e.Id != 7 || e.Seq != 0 || e.Ended {
		t.Fatalf("first events: %+v, want the subscription's", e)
	}
	sys.Root.Send(g, endpointLost{addr: hub.Address, at: time.Now()})
	if e := next(); e.Id != 7 || !e.Ended || e.Error != "the connection to the hub was lost" {
		t.Fatalf("after the hub's connection was lost: %+v, want the stream's end", e)
	}
}

// A subscription the host refuses (its hub has maxSubsPerHub streams
// there already) is a host down, said once, not a subscription: the
// refusal was taken for the host coming up, and each try again showed
// `down → up` then `up → down`.
func TestRefusedSubscriptionIsNoHostUp(t *testing.T) {
	// a deadline that a loaded host meets: a subscription given up on
	// would free a place, and the stream over the bound come up for real
	const timeout = 4 * time.Second
	tf := newTestFleetTimeout(t, timeout, "web1")
	tf.hub.Handler().moreStreams = 1 // the hub serves one more than the host
	st, _ := messages.Parse("command fleet events")
	open := func() *actors.Feed {
		feed, err := tf.hub.Handler().Stream(st.(messages.Fleet), true, actors.DefaultBacklog, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(feed.Close)
		return feed
	}
	l := tf.locals[0]
	var streams []*actors.Feed
	for range maxSubsPerHub {
		streams = append(streams, open())
	}
	end := time.Now().Add(10 * time.Second)
	for {
		l.mu.Lock()
		n := len(l.feeds)
		l.mu.Unlock()
		if n == maxSubsPerHub {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("%d subscriptions at the host, want %d", n, maxSubsPerHub)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// each of them streams: the hub took every subscription
	l.mu.Lock()
	for _, f := range l.feeds {
		f.Push([]byte(`{"kind":"x"}`))
	}
	l.mu.Unlock()
	for i, s := range streams {
		ctx, cancel := contextWithTimeout(10 * time.Second)
		lines, err := s.Next(ctx)
		cancel()
		if err != nil || len(lines) == 0 {
			t.Fatalf("stream %d: %q, %v", i, lines, err)
		}
	}
	over := open()
	var got []string
	// the refusal, then the hub's try again
	for watch := time.Now().Add(timeout + 2*time.Second); time.Now().Before(watch); time.Sleep(20 * time.Millisecond) {
		lines, _, _ := over.Take()
		for _, line := range lines {
			got = append(got, string(line))
		}
	}
	downs, ups := 0, 0
	for _, line := range got {
		if strings.Contains(line, `"from":"up","to":"down"`) {
			downs++
		}
		if strings.Contains(line, `"from":"down","to":"up"`) {
			ups++
		}
	}
	if downs != 1 || ups != 0 {
		t.Fatalf("the stream over the bound: %d up → down and %d down → up, want 1 and 0:\n%s", downs, ups, strings.Join(got, "\n"))
	}
}

// A hub that acknowledges none of a stream's batches for creditWait has
// that stream ended at the host, and is told so: a hub only stalled (its
// connection kept) took the stream for alive and showed nothing more of
// the host.
func TestGatewaySaysAStreamEndsWhenItsHubStopsAcknowledging(t *testing.T) {
	local := &fakeLocal{name: "h1"}
	sys, g := spawnGateway(t, local, func(gw *gateway) { gw.creditWait = 100 * time.Millisecond })
	hub, events := collector[*wire.Events](sys, 64)
	sys.Root.RequestWithCustomSender(g, &wire.Subscribe{Id: 9, Hub: "hub", Line: "command events"}, hub)
	feed := local.waitFeed(t, 1, 10*time.Second)
	// batches the hub never acknowledges, until the stream has no credit
	for end := time.Now().Add(10 * time.Second); ; {
		feed.Push([]byte(`{"kind":"x"}`))
		select {
		case e := <-events:
			if e.Ended {
				if e.Error != "the hub acknowledged no events for 100ms" {
					t.Fatalf("the end: %+v", e)
				}
				return
			}
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(end) {
			t.Fatal("the stream of a hub that acknowledges nothing never said it ended")
		}
	}
}

// The end of a stream whose hub stopped acknowledging says how many of
// its events the hub will not get, as a stream cut off does: the batch
// that waited for credit and those queued behind it were dropped
// unsaid, and the hub showed the host down, then up, with no word of
// what it missed meanwhile.
func TestGatewayStreamEndCountsTheEventsItDrops(t *testing.T) {
	local := &fakeLocal{name: "h1"}
	sys, g := spawnGateway(t, local, func(gw *gateway) { gw.creditWait = 300 * time.Millisecond })
	hub, events := collector[*wire.Events](sys, 64)
	sys.Root.RequestWithCustomSender(g, &wire.Subscribe{Id: 9, Hub: "hub", Line: "command events"}, hub)
	feed := local.waitFeed(t, 1, 10*time.Second)
	if e := within(t, events, "no first batch"); e.Seq != 0 || e.Ended {
		t.Fatalf("the first batch: %+v", e)
	}
	// the window's batches, never acknowledged: the stream has no
	// credit left
	for i := range eventsWindow {
		feed.Push([]byte(`{"kind":"x"}`))
		if e := within(t, events, fmt.Sprintf("batch %d of the window not sent", i+1)); e.Ended || len(e.Lines) != 1 {
			t.Fatalf("batch %d: %+v", i+1, e)
		}
	}
	for range 5 {
		feed.Push([]byte(`{"kind":"y"}`))
	}
	e := within(t, events, "the stream never said it ended")
	if !e.Ended || e.Lost != 5 || e.Error != "the hub acknowledged no events for 300ms" {
		t.Fatalf("the end: %+v, want 5 events lost", e)
	}
}
