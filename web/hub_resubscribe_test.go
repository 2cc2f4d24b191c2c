package web

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/cfk/cfk/actors"
)

// REFERENCE §10.1: the stream has one transition per change, in order; a
// page cut off starts over from a snapshot. The hub subscribes to the
// events when its first page joins and unsubscribes when its last one
// leaves. A page cut off is taken out of the hub at once (publish), but
// leaves (and may unsubscribe) only once its handler returns: a page that
// joins in between finds the hub "empty" and subscribes a second time,
// overwriting the cancel of the first subscription. From then on every
// event reaches every page twice, and the first subscription is never
// cancelled.
func TestHubResubscribeWhileCutPageLeaves(t *testing.T) {
	src := &fakeEvents{}
	h := newHub(src, 2)
	a := h.join()
	src.publish(Event{Name: "s", To: "starting", Pid: 1})
	src.publish(Event{Name: "s", To: "running", Pid: 1})
	src.publish(Event{Name: "s", To: "stopping", Pid: 1}) // a's queue (2) is full: a is cut off
	select {
	case <-a.cut:
	default:
		t.Fatal("the page that does not read was not cut off")
	}
	b := h.join() // a's handler has not returned yet (still writing its cutoff)
	h.leave(a)    // now it has
	if n := src.subscribed(); n != 1 {
		t.Errorf("%d subscriptions to the events for one page, want 1", n)
	}
	src.publish(Event{Name: "s", To: "stopped", Pid: 1})
	got := len(b.take(100))
	if got != 1 {
		t.Errorf("one change reached the page %d times, want once", got)
	}
	h.leave(b)
	if n := src.subscribed(); n != 0 {
		t.Errorf("%d subscriptions left with no page connected (leaked)", n)
	}
}

// gatedSource blocks the snapshots of a batch (names != nil) while gate
// is closed; the first snapshot of a stream (names == nil) goes through.
type gatedSource struct {
	Source
	mu      sync.Mutex
	gate    chan struct{} // nil: no snapshot waits
	blocked chan struct{} // a batch snapshot is waiting
}

func (g *gatedSource) Snapshot(ctx context.Context, names []string) (actors.Snapshot, error) {
	g.mu.Lock()
	gate := g.gate
	g.mu.Unlock()
	if names != nil && gate != nil {
		select {
		case g.blocked <- struct{}{}:
		default:
		}
		select {
		case <-gate:
		case <-ctx.Done():
			return actors.Snapshot{}, ctx.Err()
		}
	}
	return g.Source.Snapshot(ctx, names)
}

// The same through HTTP: page A is cut off while its handler is busy with
// a batch (here: its snapshot is slow; in life, a write to a slow client,
// up to 10 s); page B connects meanwhile. Once A is gone, every change
// reaches B twice.
func TestEventStreamDuplicatesAfterCutoff(t *testing.T) {
	src := &fakeEvents{}
	r := newRig(t, Options{Events: src, Queue: 8})
	gateA := make(chan struct{})
	g := &gatedSource{Source: r.web.o.Source, gate: gateA, blocked: make(chan struct{}, 1)}
	r.web.o.Source = g
	released := false
	defer func() {
		if !released {
			close(gateA)
		}
	}()
	r.ok("service a cmd=sleep 100")

	pa := r.stream(t, "/api/events")
	pa.next("snapshot")
	waitFor(t, "page A in the hub", func() bool { return r.web.hub.size() == 1 })
	src.publish(Event{Time: time.Now(), Name: "a", From: "stopped", To: "starting", Pid: 7})
	select {
	case <-g.blocked: // A's handler waits for the batch's snapshot
	case <-time.After(deadline):
		t.Fatal("page A's handler never asked for the batch's records")
	}
	// A's queue (8) overflows: A is cut off, its handler still busy
	for range 9 {
		src.publish(Event{Time: time.Now(), Name: "a", From: "starting", To: "running", Pid: 7})
	}
	waitFor(t, "page A to be cut off", func() bool { return r.web.hub.size() == 0 })

	g.mu.Lock()
	g.gate = nil // B's batches go through
	g.mu.Unlock()
	pb := r.stream(t, "/api/events")
	pb.next("snapshot")
	waitFor(t, "page B in the hub", func() bool { return r.web.hub.size() == 1 })

	// A's handler goes on: writes its batch, sees the cut, leaves
	close(gateA)
	released = true
	pa.next("cutoff")
	pa.cancel()

	src.publish(Event{Time: time.Now(), Name: "a", From: "stopping", To: "stopped", Pid: 7})
	src.publish(Event{Time: time.Now(), Name: "a", From: "stopped", To: "starting", Pid: 8}) // a marker
	var seen []string
	for {
		var tr transition
		if err := json.Unmarshal([]byte(pb.next("transition").data), &tr); err != nil {
			t.Fatal(err)
		}
		seen = append(seen, tr.From+">"+tr.To)
		if tr.Pid == 8 {
			break
		}
	}
	if len(seen) != 2 {
		t.Errorf("page B got %d transitions for 2 changes: %v", len(seen), seen)
	}
	pb.cancel()
	waitFor(t, "every page to leave", func() bool { return r.web.hub.size() == 0 })
	// give the handlers time to return (leave is deferred)
	end := time.Now().Add(2 * time.Second)
	for src.subscribed() != 0 && time.Now().Before(end) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := src.subscribed(); n != 0 {
		t.Errorf("%d subscriptions to the events left with no page connected (leaked)", n)
	}
}
