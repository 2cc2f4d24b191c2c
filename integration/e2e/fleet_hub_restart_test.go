package e2e

import (
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/cfk/cfk/messages"
)

// TestFleetHubRestartedWithEventsOpen: the hub cfkd dies (SIGKILL; an
// upgrade in place does the same to its connections) while `fleet events`
// is open, and a hub runs again on its home and address. Each host, having
// lost its connection to the hub, said at once that the stream ended,
// dialling the hub's address while no hub listened there; protoactor's
// endpoint writer then sleeps 2 s and dead-letters what goes to that
// address meanwhile: the new hub's first request ran on every host, and
// each host was reported `down: no answer within 5s` (a restart sent again
// restarts twice). A host now tells only a hub that still has its
// connection to the host.
func TestFleetHubRestartedWithEventsOpen(t *testing.T) {
	t.Parallel()
	r := fleetWithEventsOpen(t)
	hosts := []string{"web1", "web2", "web3"}
	r.hub.cmd.Process.Signal(syscall.SIGKILL)
	r.hub.waitExit()
	hub := startDaemon(t, r.hub.home, r.memberArgs("hub", "--fleet-inventory", filepath.Join(r.dir, "inventory"))...)
	_, outc := hostLines(t, hub.dial().do("command fleet status"))
	for _, h := range hosts {
		if outc[h].Kind != messages.FleetOK {
			t.Errorf("the restarted hub's first request: %s %+v, want ok", h, outc[h])
		}
	}
}

// fleetWithEventsOpen starts a fleet whose hub has `fleet events` open,
// and on: an event of each host came through it.
func fleetWithEventsOpen(t *testing.T) *fleetRig {
	r := startFleet(t, fleetServices)
	for _, d := range r.hosts {
		waitRunning(t, d, "a", "b")
	}
	ev := r.hub.rawStream("command fleet events")
	for _, h := range []string{"web1", "web2", "web3"} {
		r.hosts[h].dial().ok("service z cmd=sleep 100", "command start service z")
		ev.waitFor("an event of "+h+"'s z", func(lines []string) bool {
			return slices.ContainsFunc(lines, func(l string) bool {
				return strings.HasPrefix(l, h+"\t") && strings.Contains(l, `"service":"z"`)
			})
		})
	}
	return r
}
