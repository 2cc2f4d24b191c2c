package fleet

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/fleet/certs"
	"github.com/cfk/cfk/messages"
)

// TestHubInItsOwnInventory: a hub that lists itself (its host runs
// services too, REFERENCE §12.1: a member of role hub may be listed) is
// answered by its own gateway. Its requests to itself go to its gateway
// without the network, so the hub has no connection of its own to it,
// and the gateway took the hub for one that left: it ran the request
// (`restart` audited) and sent nothing back, the hub reported `down: no
// answer within 2s`, and its part of `fleet events` was down for good.
func TestHubInItsOwnInventory(t *testing.T) {
	skipRace(t)
	cf := newCertFleet(t,
		certs.Member{Name: "hub", Role: certs.RoleHub, Addr: "127.0.0.2:1"},
		certs.Member{Name: "web1", Role: certs.RoleHost, Addr: "127.0.0.3:1"})
	web1 := cf.serve("web1", "127.0.0.3:0", "", &fakeLocal{name: "web1"})
	// the hub's own address is in its inventory: a port taken before
	l, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Fatal(err)
	}
	hubAddr := l.Addr().String()
	l.Close()
	hubLoc := &fakeLocal{name: "hub"}
	hub := cf.serve("hub", hubAddr, cf.inventory("inventory", fmt.Sprintf("host web1 addr=%s\nhost hub addr=%s\n", web1.Address(), hubAddr)), hubLoc)

	tf := &testFleet{t: t, hub: hub}
	lines, out := outcomes(t, tf.ask("command fleet hosts=hub restart all"))
	if out["hub"].Kind != messages.FleetOK || len(lines["hub"]) != 1 || lines["hub"][0] != "done 1" {
		t.Fatalf("hub: %+v (lines %q), want ok; it ran %q", out["hub"], lines["hub"], hubLoc.askedVerbs())
	}

	st, _ := messages.Parse("command fleet hosts=hub events")
	feed, err := hub.Handler().Stream(st.(messages.Fleet), true, actors.DefaultBacklog, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer feed.Close()
	hostFeed := hubLoc.waitFeed(t, 1, 5*time.Second)
	hostFeed.Push([]byte(`{"kind":"lost","lost":7}`))
	ctx, cancel := contextWithTimeout(5 * time.Second)
	defer cancel()
	got, err := feed.Next(ctx)
	if err != nil || len(got) == 0 || !strings.HasPrefix(string(got[0]), "hub\t{\"kind\":\"lost\",\"lost\":7}") {
		t.Fatalf("the stream: %q %v, want hub's event", got, err)
	}
}
