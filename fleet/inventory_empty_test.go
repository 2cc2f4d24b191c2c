package fleet

import (
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/fleet/certs"
	"github.com/cfk/cfk/messages"
)

// A hub whose inventory holds no host yet (comments only) is a hub all
// the same, and its requests say why they go nowhere. It was taken for a
// member without --fleet-inventory: `command fleet` answered `this cfkd
// is not a fleet hub (cfkd --fleet-inventory FILE)`, the flag it was run
// with, and hosts' answers were refused.
func TestHubOfAnEmptyInventory(t *testing.T) {
	cf := newCertFleet(t, certs.Member{Name: "hub", Role: certs.RoleHub, Addr: "127.0.0.1:1"})
	hub := cf.serve("hub", "127.0.0.1:0", cf.inventory("inventory", "# no host yet\n\n"), &fakeLocal{name: "hub"})
	if hub.Handler() == nil {
		t.Fatal("a member run with an inventory of no host has no fleet handler: not a hub")
	}
	st, err := messages.Parse("command fleet status")
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan messages.Reply, 1)
	hub.Handler().Request(st.(messages.Fleet), func(r messages.Reply) { ch <- r })
	select {
	case r := <-ch:
		if r.Err == nil || !strings.Contains(r.Err.Error(), "the fleet inventory has no host") {
			t.Fatalf("reply %+v, want the inventory has no host", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no reply")
	}
}
