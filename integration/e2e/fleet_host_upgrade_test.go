package e2e

import (
	"slices"
	"strings"
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

// TestFleetHostUpgradedEventsReachTheStream: a host upgraded in place
// while `fleet events` is open at the hub: its new cfkd tells the hub it
// is back, the hub's stream subscribes there at once, and the host's
// events from then on are shown. The hub tried again only --fleet-timeout
// after the connection went: the stream showed the host down, then up,
// and a `restart` on the host in between never appeared (REFERENCE
// §12.3). The hub's --fleet-timeout here is a minute: only the host's
// word brings its stream back within the test's deadline.
func TestFleetHostUpgradedEventsReachTheStream(t *testing.T) {
	t.Parallel()
	r := startFleetHub(t, fleetServices, []string{"--fleet-timeout", "60s"})
	for _, d := range r.hosts {
		waitRunning(t, d, "a", "b")
	}
	ev := r.hub.rawStream("command fleet events")
	web1 := r.hosts["web1"]
	web1.dial().ok("service z cmd=sleep 100", "command start service z")
	ev.waitFor("an event of web1's z", func(lines []string) bool {
		return slices.ContainsFunc(lines, func(l string) bool {
			return strings.HasPrefix(l, "web1\t") && strings.Contains(l, `"service":"z"`)
		})
	})
	if rep := web1.dial().do("command upgrade"); rep.Err != nil {
		t.Fatalf("upgrade: %v", rep.Err)
	}
	// down, said as the host went, then up: subscribed at the new cfkd
	lines := ev.waitFor("web1 down (upgraded), then up", func(lines []string) bool {
		i := slices.IndexFunc(lines, func(l string) bool {
			return strings.HasPrefix(l, "web1\t") && strings.Contains(l, `"to":"down","reason":"cfkd is being upgraded in place"`)
		})
		return i >= 0 && slices.ContainsFunc(lines[i:], func(l string) bool {
			return strings.HasPrefix(l, "web1\t") && strings.Contains(l, `"from":"down","to":"up"`)
		})
	})
	n := len(lines)
	web1.dial().ok("command restart service z")
	ev.waitFor("web1's z restarted", func(lines []string) bool {
		return slices.ContainsFunc(lines[n:], func(l string) bool {
			return strings.HasPrefix(l, "web1\t") && strings.Contains(l, `"service":"z"`) && strings.Contains(l, `"to":"stopping"`)
		})
	})
}

// TestFleetUpgradeTellsAStalledHubBeforeTheFreeze: a host upgraded in
// place while a hub connected to it is stalled (its process stopped, its
// connection open) tells it it goes before the freeze, so that the half
// second it waits for an acknowledgement that does not come does not
// hold the services frozen too (REFERENCE §12.3, §13.3): it told its hubs
// after the freeze, and its services stayed frozen 0.5 s (`state written
// 521ms ago`) where they stay some 20 ms.
func TestFleetUpgradeTellsAStalledHubBeforeTheFreeze(t *testing.T) {
	t.Parallel()
	r := startFleet(t, fleetServices)
	web1 := r.hosts["web1"]
	waitRunning(t, web1, "a", "b")
	// a request: the hub connects to web1, which then knows it
	if _, outc := hostLines(t, r.hub.dial().do("command fleet status")); outc["web1"].Kind != messages.FleetOK {
		t.Fatalf("web1: %+v, want ok", outc["web1"])
	}
	hub := r.hub.cmd.Process
	if err := hub.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hub.Signal(syscall.SIGCONT) }) // before its stop
	if rep := web1.dial().do("command upgrade"); rep.Err != nil {
		t.Fatalf("upgrade: %v", rep.Err)
	}
	// the hub stays stopped until the new cfkd serves: it acknowledges
	// nothing meanwhile
	const warn, freeze, adopted = "did not acknowledge it within", ": freezing", "upgraded in place from"
	waitLog(t, web1.home, warn)
	waitLog(t, web1.home, freeze)
	log := waitLog(t, web1.home, adopted)
	hub.Signal(syscall.SIGCONT)
	if strings.Index(log, warn) > strings.Index(log, freeze) {
		t.Fatalf("web1 told its hubs it goes after the freeze:\n%s", log)
	}
}
