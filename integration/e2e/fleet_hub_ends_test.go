package e2e

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/fleet"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/protocol"
)

// slowFleetServices: a service that counts as running only after 60 s,
// so that a rolling restart of it stays at the first host.
const slowFleetServices = `service slow cmd=sleep 100
service slow startwait_secs=60
`

// TestFleetHubShutdownAnswersRequestsInFlight: a hub cfkd shut down while
// a fleet request runs (a rolling restart at web1) answers it before it
// closes the connection: web1 down, saying why, the others skipped. The
// drain of its console waited for the hosts' answers, 10 s at most, and
// then closed the connection unanswered (the reply, had it come, was past
// the drain's 2 s to write): `cfkctl fleet restart` said only `cfkd
// closed the connection`, not which hosts had been asked (REFERENCE
// §7.4, §12.4).
func TestFleetHubShutdownAnswersRequestsInFlight(t *testing.T) {
	t.Parallel()
	hubEndsRequestInFlight(t, "command shutdown", fleet.WhyHubShutDown)
}

// TestFleetHubUpgradeAnswersRequestsInFlight: the same for an upgrade in
// place of the hub, whose connection was closed unanswered 200 ms after
// the exec began, and cfkctl then said that the new cfkd carried the
// request on: it does not carry a hub's requests on (REFERENCE §12.4,
// §13.3).
func TestFleetHubUpgradeAnswersRequestsInFlight(t *testing.T) {
	t.Parallel()
	hubEndsRequestInFlight(t, "command upgrade", fleet.WhyHubUpgraded)
}

func hubEndsRequestInFlight(t *testing.T, end, why string) {
	r := startFleet(t, slowFleetServices)
	c := r.hub.dial()
	if err := protocol.WriteRequest(c.conn, "command fleet rolling-hosts restart service slow"); err != nil {
		t.Fatal(err)
	}
	waitState(t, r.hosts["web1"], "starting", "slow")
	r.hub.dial().ok(end)
	rep, err := protocol.ReadReply(c.r) // within the dial's deadline
	if err != nil {
		t.Fatalf("the fleet request in flight when the hub got %q: %v, want its reply", end, err)
	}
	_, outc := hostLines(t, rep)
	if o := outc["web1"]; o.Kind != messages.FleetDown || o.Text != why {
		t.Errorf("web1: %+v, want down %q", o, why)
	}
	for _, h := range []string{"web2", "web3"} {
		if o := outc[h]; o.Kind != messages.FleetSkipped || o.Text != "the rolling restart stopped at web1" {
			t.Errorf("%s: %+v, want skipped", h, o)
		}
	}
	if end == "command upgrade" { // a SIGTERM is refused until it is done (§13.5)
		// each ask on a connection of its own: one the old cfkd accepted
		// just before its drain is closed unanswered (§13.3)
		waitFor(t, "the hub upgraded", func() bool {
			c, err := net.Dial("unix", r.hub.sock)
			if err != nil {
				return false
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(deadline))
			rep, err := (&client{t: t, conn: c, r: bufio.NewReader(c)}).try("command upgraded")
			return err == nil && rep.Err == nil && strings.Contains(strings.Join(rep.Lines, " "), "\tupgraded\t")
		})
	}
}
