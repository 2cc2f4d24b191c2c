package fleet

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/remote"
	"github.com/cfk/cfk/fleet/certs"
	"github.com/cfk/cfk/messages"
)

// TestHubRestartNumbersItsCallsAnew: a hub cfkd that restarts (a crash,
// an upgrade in place, §13) while one of its requests still runs on a
// host numbered its calls from 1 again. The host keys the calls it runs by
// (hub name, id), so the restarted hub's first request to that host was
// refused as a duplicate although the host runs a single request of its:
// a host that is up and idle for this hub was reported as failing. A hub
// now numbers its calls from a random start.
func TestHubRestartNumbersItsCallsAnew(t *testing.T) {
	skipRace(t)
	cf := newCertFleet(t,
		certs.Member{Name: "hub", Role: certs.RoleHub, Addr: "127.0.0.1:1"},
		certs.Member{Name: "web1", Role: certs.RoleHost, Addr: "127.0.0.1:1"})
	loc := &versionLocal{name: "web1", statusDelay: 8 * time.Second}
	web1 := cf.serve("web1", "127.0.0.1:0", "", loc)
	inv := cf.inventory("inventory", fmt.Sprintf("host web1 addr=%s\n", web1.Address()))
	startHub := func(listen string) *Node { return cf.serve("hub", listen, inv, &versionLocal{name: "hub"}) }
	ask := func(n *Node, line string) messages.Reply {
		t.Helper()
		st, err := messages.Parse(line)
		if err != nil {
			t.Fatal(err)
		}
		ch := make(chan messages.Reply, 1)
		n.Handler().Request(st.(messages.Fleet), func(r messages.Reply) { ch <- r })
		select {
		case r := <-ch:
			return r
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: no reply", line)
		}
		return messages.Reply{}
	}

	// the first hub asks a status that takes web1 8 s (call id 1) ...
	hub1 := startHub("127.0.0.1:0")
	addr := hub1.Address()
	st, _ := messages.Parse("command fleet status")
	hub1.Handler().Request(st.(messages.Fleet), func(messages.Reply) {})
	for end := time.Now().Add(5 * time.Second); !loc.asked(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("web1 was never asked its status")
		}
	}
	// ... and restarts on its address meanwhile (once web1 saw its
	// connection to the first hub go, so that its answers go to the new one)
	gone := make(chan struct{})
	var once sync.Once
	sub := web1.sys.EventStream.Subscribe(func(ev any) {
		if e, ok := ev.(*remote.EndpointTerminatedEvent); ok && e.Address == addr {
			once.Do(func() { close(gone) })
		}
	})
	defer web1.sys.EventStream.Unsubscribe(sub)
	hub1.Stop()
	select {
	case <-gone:
	case <-time.After(10 * time.Second):
		t.Fatal("web1 never saw its connection to the stopped hub go")
	}
	hub2 := startHub(addr)
	lines, out := outcomes(t, ask(hub2, "command fleet hosts"))
	if out["web1"].Kind != messages.FleetOK {
		t.Fatalf("the restarted hub's first request: web1 %+v (lines %q), want ok", out["web1"], lines["web1"])
	}
}
