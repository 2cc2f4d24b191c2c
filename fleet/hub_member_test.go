package fleet

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

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
	dir := t.TempDir()
	members := []certs.Member{
		{Name: "hub1", Role: certs.RoleHub, Addr: "127.0.0.2:1"},
		{Name: "hub2", Role: certs.RoleHub, Addr: "127.0.0.3:1"},
		{Name: "web1", Role: certs.RoleHost, Addr: "127.0.0.4:1"},
	}
	if err := certs.Generate(dir, members, time.Hour); err != nil {
		t.Fatal(err)
	}
	conf := func(name, ip, inv string) Config {
		c, k := certs.Files(name)
		return Config{Listen: ip + ":0", CA: filepath.Join(dir, certs.CAFile), Cert: filepath.Join(dir, c),
			Key: filepath.Join(dir, k), Inventory: inv, Timeout: 2 * time.Second, Version: "cfk test", Log: quietLog()}
	}
	start := func(name, ip, inv string) (*Node, *fakeLocal) {
		n, err := New(conf(name, ip, inv))
		if err != nil {
			t.Fatal(err)
		}
		loc := &fakeLocal{name: name}
		if err := n.Serve(loc); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(n.Stop)
		return n, loc
	}
	web1, _ := start("web1", "127.0.0.4", "")
	// hub2 is a hub of its own (web1), and a member of hub1's fleet
	inv2 := filepath.Join(dir, "inventory2")
	writeFile(t, inv2, fmt.Sprintf("host web1 addr=%s\n", web1.Address()))
	hub2, hub2Loc := start("hub2", "127.0.0.3", inv2)
	inv1 := filepath.Join(dir, "inventory1")
	writeFile(t, inv1, fmt.Sprintf("host web1 addr=%s\nhost hub2 addr=%s\n", web1.Address(), hub2.Address()))
	hub1, _ := start("hub1", "127.0.0.2", inv1)

	tf := &testFleet{t: t, hub: hub1}
	lines, out := outcomes(t, tf.ask("command fleet status"))
	if out["web1"].Kind != messages.FleetOK {
		t.Fatalf("web1: %+v", out["web1"])
	}
	if out["hub2"].Kind != messages.FleetOK {
		t.Fatalf("hub2: %+v (lines %q), want ok; hub2 ran %q", out["hub2"], lines["hub2"], hub2Loc.askedVerbs())
	}
}
