package fleet

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/cfk/cfk/fleet/certs"
	"github.com/cfk/cfk/messages"
)

// A host never reached (nothing listens at its address) is reported as
// one the hub cannot connect to, not as a connection lost; a host whose
// connection was made, then lost, as lost.
func TestHostNeverReachedIsCannotConnect(t *testing.T) {
	skipRace(t)
	cf := newCertFleet(t,
		certs.Member{Name: "hub", Role: certs.RoleHub, Addr: "127.0.0.2:1"},
		certs.Member{Name: "web1", Role: certs.RoleHost, Addr: "127.0.0.3:1"},
		certs.Member{Name: "web2", Role: certs.RoleHost, Addr: "127.0.0.4:1"})
	l, err := net.Listen("tcp", "127.0.0.3:0")
	if err != nil {
		t.Fatal(err)
	}
	nobody := l.Addr().String()
	l.Close()
	web2Loc := &fakeLocal{name: "web2"}
	web2 := cf.serve("web2", "127.0.0.4:0", "", web2Loc)
	cfg := cf.conf("hub", "127.0.0.2:0", cf.inventory("inventory", fmt.Sprintf("host web1 addr=%s\nhost web2 addr=%s\n", nobody, web2.Address())))
	cfg.Timeout = 10 * time.Second // protoactor gives up on a dial after 2 s
	hub := serveNode(t, cfg, &fakeLocal{name: "hub"})
	tf := &testFleet{t: t, hub: hub}
	_, out := outcomes(t, tf.ask("command fleet status"))
	if o := out["web1"]; o.Kind != messages.FleetDown || o.Text != "cannot connect to "+nobody {
		t.Fatalf("web1: %+v, want down: cannot connect to %s", o, nobody)
	}
	if o := out["web2"]; o.Kind != messages.FleetOK {
		t.Fatalf("web2: %+v", o)
	}
	// a call web2 accepted, then its connection lost
	web2Loc.mu.Lock()
	web2Loc.delay = 3 * time.Second
	web2Loc.mu.Unlock()
	asked := len(web2Loc.askedVerbs())
	reply := make(chan messages.Reply, 1)
	go func() { reply <- tf.ask("command fleet status") }()
	for deadline := time.Now().Add(5 * time.Second); len(web2Loc.askedVerbs()) == asked; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("web2 was not asked")
		}
	}
	web2.Stop()
	_, out = outcomes(t, <-reply)
	if o := out["web2"]; o.Kind != messages.FleetDown || o.Text != "connection to "+web2.Address()+" lost" {
		t.Fatalf("web2 stopped: %+v, want down: connection to %s lost", o, web2.Address())
	}
}
