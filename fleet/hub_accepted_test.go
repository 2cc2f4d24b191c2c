package fleet

import (
	"testing"
	"time"

	"github.com/cfk/cfk/fleet/certs"
	"github.com/cfk/cfk/fleet/wire"
)

// An Accepted that names a subscription's call (no host sends one: its
// first Events says it runs) was taken as a request's, whose start the
// hub read from the call's request: there is none, and the hub actor
// panicked on a host's message.
func TestHubAcceptedForASubscriptionIsNoRequest(t *testing.T) {
	n := &Node{inv: []Host{{Name: "h1", Addr: "127.0.0.9:1"}}, creds: &certs.Credentials{ID: certs.Identity{Name: "hub"}},
		cfg: Config{Timeout: time.Second, Log: quietLog()}}
	h := newHub(n)
	c := &hubCall{id: 5, sub: &hubSub{}}
	h.calls[c.id] = c
	t.Cleanup(func() {
		if c.timer != nil {
			c.timer.Stop()
		}
	})
	h.accepted(&wire.Accepted{Id: 5, Host: "h1"})
	if !c.acked || c.deadline.IsZero() {
		t.Errorf("the subscription's call: acked %v, deadline %v; want it taken as before, with a deadline", c.acked, c.deadline)
	}
}
