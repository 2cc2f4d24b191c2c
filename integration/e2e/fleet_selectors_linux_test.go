package e2e

import (
	"slices"
	"testing"

	"github.com/cfk/cfk/messages"
)

// requiresFleetServices: app requires db (REFERENCE §2.8), on each host.
const requiresFleetServices = `service db cmd=sleep 100
service db startwait_secs=0.2
service app cmd=sleep 100
service app startwait_secs=0.2
service app requires=db
command start all
`

// TestFleetSelectorsAnyOrder: through a hub and three real cfkd hosts,
// with app requiring db, `fleet stop service db service app` answers
// `done 2` on every host, as `stop service app service db` does. The hub
// sent each host one request per selector: the stop of db took app down
// first, then the stop of app failed `Service 'app' is already down`,
// every host `error`. It now sends one request with every selector,
// which each host plans together (REFERENCE §12.3); the same for start,
// once the stop is done.
func TestFleetSelectorsAnyOrder(t *testing.T) {
	t.Parallel()
	r := startFleet(t, requiresFleetServices)
	hub := r.hub.dial()
	for _, order := range []string{"service db service app", "service app service db"} {
		for _, d := range r.hosts {
			waitRunning(t, d, "db", "app")
		}
		for _, verb := range []string{"stop", "start"} {
			lines, outc := hostLines(t, hub.do("command fleet "+verb+" "+order))
			for _, h := range []string{"web1", "web2", "web3"} {
				if outc[h].Kind != messages.FleetOK || !slices.Equal(lines[h], []string{"done 2"}) {
					t.Fatalf("fleet %s %s: %s %+v %q, want ok, done 2", verb, order, h, outc[h], lines[h])
				}
			}
			if verb == "stop" {
				// a stop is answered once the services are signalled
				// (REFERENCE §2.7): a start while they are stopping is
				// refused `already up`
				for _, d := range r.hosts {
					waitState(t, d, "stopped", "db", "app")
				}
			}
		}
	}
}
