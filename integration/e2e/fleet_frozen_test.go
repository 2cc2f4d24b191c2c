package e2e

import (
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
)

// frozenKeepalive is the members' --fleet-keepalive here, the least.
const frozenKeepalive = "10s"

// frozenBound is how long after a host's cfkd stops answering at all
// (SIGSTOP: its kernel still acknowledges TCP, so no connection breaks)
// its hub may take to say it is down, REFERENCE §12.3: 20 s at
// --fleet-keepalive 10s (a ping after 10 s of silence, unanswered for
// 10 s), and room for a loaded machine.
const frozenBound = 30 * time.Second

// startFrozenFleet is startFleet with every member's --fleet-keepalive
// frozenKeepalive.
func startFrozenFleet(t testing.TB) *fleetRig {
	t.Helper()
	return startFleetHub(t, fleetServices, []string{"--fleet-keepalive", frozenKeepalive}, "--fleet-keepalive", frozenKeepalive)
}

// TestFleetFrozenHostIsDown: a host's cfkd is frozen (SIGSTOP, as a paused
// VM or a hung kernel would) while the hub has `fleet events` open. A
// request meanwhile says it down at its deadline, the others answering;
// the events say it down, `connection to ADDR lost`, within frozenBound.
// They said so only after about 95 s: gRPC's keepalive pinged every 90 s
// (60 s at the default --fleet-keepalive 50s; 20 s here, at 10s). Once it
// runs again it is up again.
func TestFleetFrozenHostIsDown(t *testing.T) {
	t.Parallel()
	r := startFrozenFleet(t)
	web1 := r.hosts["web1"]
	waitRunning(t, web1, "a", "b")
	ev := r.hub.rawStream("command fleet events")
	web1.dial().ok("service z cmd=sleep 100", "command start service z")
	ev.waitFor("an event of web1's z", func(lines []string) bool {
		return slices.ContainsFunc(lines, func(l string) bool {
			return strings.HasPrefix(l, "web1\t") && strings.Contains(l, `"service":"z"`)
		})
	})
	// run before the daemon's own cleanup (SIGTERM), which a stopped
	// process would not see
	t.Cleanup(func() { web1.cmd.Process.Signal(syscall.SIGCONT) })
	if err := web1.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	frozen := time.Now()

	_, outc := hostLines(t, r.hub.dial().do("command fleet status"))
	took := time.Since(frozen)
	t.Logf("fleet status while web1 is frozen: %s, web1 %+v", took, outc["web1"])
	if outc["web1"].Kind != messages.FleetDown || !strings.Contains(outc["web1"].Text, "no answer within 5s") {
		t.Errorf("web1 frozen: %+v, want down: no answer within 5s", outc["web1"])
	}
	for _, h := range []string{"web2", "web3"} {
		if outc[h].Kind != messages.FleetOK {
			t.Errorf("%s while web1 is frozen: %+v, want ok", h, outc[h])
		}
	}

	down := func(l string) bool {
		return strings.HasPrefix(l, "web1\t") && strings.Contains(l, `"to":"down"`)
	}
	for {
		ev.mu.Lock()
		lines, ch := append([]string(nil), ev.lines...), ev.ch
		ev.mu.Unlock()
		if i := slices.IndexFunc(lines, down); i >= 0 {
			t.Logf("web1 said down %s after it froze: %s", time.Since(frozen).Round(time.Second/10), lines[i])
			if want := `"reason":"connection to ` + r.addrs["web1"] + ` lost"`; !strings.Contains(lines[i], want) {
				t.Errorf("web1 down: %s, want %s", lines[i], want)
			}
			break
		}
		if time.Since(frozen) > frozenBound {
			t.Fatalf("web1, frozen, not said down within %s: %q", frozenBound, lines)
		}
		select {
		case <-ch:
		case <-time.After(time.Second):
		}
	}

	web1.cmd.Process.Signal(syscall.SIGCONT)
	ev.waitFor("web1 up again", func(lines []string) bool {
		return slices.ContainsFunc(lines, func(l string) bool {
			return strings.HasPrefix(l, "web1\t") && strings.Contains(l, `"to":"up"`)
		})
	})
	if _, outc := hostLines(t, r.hub.dial().do("command fleet status")); outc["web1"].Kind != messages.FleetOK {
		t.Errorf("web1 running again: %+v, want ok", outc["web1"])
	}
}

// TestFleetFrozenHubIsLost: the hub's cfkd is frozen (SIGSTOP) once each
// host answered it, so each has a connection to it. Each host takes it
// for lost (protoactor's `EndpointWriter lost connection` to its
// address, in the host's cfkd.log, category fleet) within frozenBound, and
// frees what it held for it (its streams, its requests' room); it took
// about 95 s (20 s here, at --fleet-keepalive 10s). Once the hub runs
// again, its next request is answered by every host.
func TestFleetFrozenHubIsLost(t *testing.T) {
	t.Parallel()
	r := startFrozenFleet(t)
	for _, d := range r.hosts {
		waitRunning(t, d, "a", "b")
	}
	hosts := []string{"web1", "web2", "web3"}
	status := func(when string) {
		t.Helper()
		_, outc := hostLines(t, r.hub.dial().do("command fleet status"))
		for _, h := range hosts {
			if outc[h].Kind != messages.FleetOK {
				t.Errorf("%s: %s %+v, want ok", when, h, outc[h])
			}
		}
	}
	status("before the freeze")
	t.Cleanup(func() { r.hub.cmd.Process.Signal(syscall.SIGCONT) })
	if err := r.hub.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	frozen := time.Now()
	lost := "EndpointWriter lost connection"
	for _, h := range hosts {
		for {
			log := readLog(r.hosts[h].home)
			if i := strings.Index(log, lost); i >= 0 && strings.Contains(log[i:], r.addrs["hub"]) {
				t.Logf("%s took the hub for lost %s after it froze", h, time.Since(frozen).Round(time.Second/10))
				break
			}
			if time.Since(frozen) > frozenBound {
				t.Fatalf("%s did not take the frozen hub for lost within %s:\n%s", h, frozenBound, log)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	r.hub.cmd.Process.Signal(syscall.SIGCONT)
	status("the hub running again")
}
