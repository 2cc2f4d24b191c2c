package e2e

import (
	"syscall"
	"testing"

	"github.com/cfk/cfk/messages"
)

// TestFleetHostRestartedWithEventsOpen: a host cfkd dies and runs again at
// once (an upgrade in place is back within milliseconds) while `fleet
// events` is open at the hub. The hub, having lost its connection to the
// host, told it at once to end its stream, dialling the host's address
// while nothing listened there; protoactor's endpoint writer then sleeps
// 2 s and dead-letters what goes to that address meanwhile: the hub's next
// request was answered `down: cannot connect to ADDR` although the host
// was up. A hub now tells only a host that still has its connection to
// the hub (one only stalled).
func TestFleetHostRestartedWithEventsOpen(t *testing.T) {
	t.Parallel()
	r := fleetWithEventsOpen(t)
	home := r.hosts["web1"].home
	r.hosts["web1"].cmd.Process.Signal(syscall.SIGKILL)
	r.hosts["web1"].waitExit()
	// what the killed cfkd left: the next one's start-up scan would end
	// them, but not without pidfds (cfkportable, REFERENCE §11), and its
	// stop then finds them left behind
	killHome(home)
	d := startDaemon(t, home, r.memberArgs("web1", "-c", r.conf["web1"])...)
	r.hosts["web1"] = d
	// its console answers once it serves the fleet too (its socket takes
	// connections before: startDaemon returns then)
	d.dial().do("command version")
	_, outc := hostLines(t, r.hub.dial().do("command fleet status"))
	if o := outc["web1"]; o.Kind != messages.FleetOK {
		t.Fatalf("web1 back: %+v, want ok", o)
	}
}
