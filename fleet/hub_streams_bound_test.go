package fleet

import (
	"strings"
	"testing"

	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/messages"
)

// TestHubStreamsKeptForAdmin: a hub serves at most maxHubStreams fleet
// event streams (each holds a subscription at each host, which serves a
// hub that many), the last adminHubStreams for peers that hold admin. A
// read peer opened 16 and every host refused the next stream, an
// admin's too, which showed every host down; past its places it is now
// refused at the hub, and a stream closed gives its place back.
func TestHubStreamsKeptForAdmin(t *testing.T) {
	tf := newTestFleet(t, "web1")
	st, _ := messages.Parse("command fleet events")
	h := tf.hub.Handler()
	var feeds []*actors.Feed
	t.Cleanup(func() {
		for _, f := range feeds {
			f.Close()
		}
	})
	open := func(admin bool) error {
		f, err := h.Stream(st.(messages.Fleet), admin, actors.DefaultBacklog, nil)
		if err == nil {
			feeds = append(feeds, f)
		}
		return err
	}
	for i := range maxHubStreams - adminHubStreams {
		if err := open(false); err != nil {
			t.Fatalf("read stream %d: %v", i+1, err)
		}
	}
	err := open(false)
	if err == nil || !strings.Contains(err.Error(), "too many fleet event streams") {
		t.Fatalf("a read stream past its places: %v", err)
	}
	for i := range adminHubStreams {
		if err := open(true); err != nil {
			t.Fatalf("admin stream %d: %v", i+1, err)
		}
	}
	if err := open(true); err == nil {
		t.Fatal("an admin stream past every place: accepted")
	}
	feeds[0].Close() // its detach gives the place back
	feeds = feeds[1:]
	if err := open(true); err != nil {
		t.Fatalf("an admin stream once one closed: %v", err)
	}
}
