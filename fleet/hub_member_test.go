package fleet

import (
	"fmt"
	"testing"

	"github.com/cfk/cfk/fleet/certs"
	"github.com/cfk/cfk/messages"
)

// TestHubAsInventoryMember: a member of role hub may be in another
// hub's inventory (REFERENCE §12.6: only a member without an inventory
// accepts hubs only; Node.dialRoles dials "members of role hub in its
// inventory, whose gateways take requests too"). Its gateway runs the
// request, but its Accepted and Answer, sent by a peer of role hub,
// were dropped by the first hub's guard (routes wanted a host): the member
// was reported down although it ran the request.
func TestHubAsInventoryMember(t *testing.T) {
	skipRace(t)
	cf := newCertFleet(t,
		certs.Member{Name: "hub1", Role: certs.RoleHub, Addr: "127.0.0.2:1"},
		certs.Member{Name: "hub2", Role: certs.RoleHub, Addr: "127.0.0.3:1"},
		certs.Member{Name: "web1", Role: certs.RoleHost, Addr: "127.0.0.4:1"})
	web1 := cf.serve("web1", "127.0.0.4:0", "", &fakeLocal{name: "web1"})
	// hub2 is a hub of its own (web1), and a member of hub1's fleet
	hub2Loc := &fakeLocal{name: "hub2"}
	hub2 := cf.serve("hub2", "127.0.0.3:0", cf.inventory("inventory2", fmt.Sprintf("host web1 addr=%s\n", web1.Address())), hub2Loc)
	hub1 := cf.serve("hub1", "127.0.0.2:0",
		cf.inventory("inventory1", fmt.Sprintf("host web1 addr=%s\nhost hub2 addr=%s\n", web1.Address(), hub2.Address())), &fakeLocal{name: "hub1"})

	tf := &testFleet{t: t, hub: hub1}
	lines, out := outcomes(t, tf.ask("command fleet status"))
	if out["web1"].Kind != messages.FleetOK {
		t.Fatalf("web1: %+v", out["web1"])
	}
	if out["hub2"].Kind != messages.FleetOK {
		t.Fatalf("hub2: %+v (lines %q), want ok; hub2 ran %q", out["hub2"], lines["hub2"], hub2Loc.askedVerbs())
	}
}
