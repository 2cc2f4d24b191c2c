package e2e

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestFleetHostRestartedEventsReachTheStream: a host shut down and
// started again (not upgraded) while `fleet events` is open at the hub:
// its cfkd wrote, at its shutdown, the hubs it told it went in its home
// (fleet.hubs), and the next one tells them it is back once its member
// serves; the hub's stream subscribes there at once, and the host's
// events from then on are shown. The hub asked again only --fleet-timeout
// after the connection went: the stream showed the host down, then up,
// and a `restart` on the host in between never appeared (REFERENCE
// §12.3). The hub's --fleet-timeout here is a minute: only the host's
// word brings its stream back within the test's deadline.
func TestFleetHostRestartedEventsReachTheStream(t *testing.T) {
	t.Parallel()
	r := startFleetHub(t, fleetServices, []string{"--fleet-timeout", "60s"})
	for _, d := range r.hosts {
		waitRunning(t, d, "a", "b")
	}
	ev := r.hub.rawStream("command fleet events")
	web1 := r.hosts["web1"]
	web1.dial().ok("command restart service a")
	ev.waitFor("an event of web1's a", func(lines []string) bool {
		return slices.ContainsFunc(lines, func(l string) bool {
			return strings.HasPrefix(l, "web1\t") && strings.Contains(l, `"service":"a"`)
		})
	})
	home := web1.home
	web1.dial().ok("command shutdown")
	web1.waitExit()
	lines := ev.waitFor("web1 down (shut down)", func(lines []string) bool {
		return slices.ContainsFunc(lines, func(l string) bool {
			return strings.HasPrefix(l, "web1\t") && strings.Contains(l, `"to":"down","reason":"cfkd shut down"`)
		})
	})
	n := len(lines)
	fi, err := os.Stat(filepath.Join(home, "fleet.hubs"))
	if err != nil {
		t.Fatalf("the hubs told of the shutdown: %v", err)
	}
	if m := fi.Mode().Perm(); m != 0o600 {
		t.Errorf("fleet.hubs has mode %04o, want 0600", m)
	}
	d := startDaemon(t, home, r.memberArgs("web1", "-c", r.conf["web1"])...)
	r.hosts["web1"] = d
	lines = ev.waitFor("web1 up again", func(lines []string) bool {
		return slices.ContainsFunc(lines[n:], func(l string) bool {
			return strings.HasPrefix(l, "web1\t") && strings.Contains(l, `"from":"down","to":"up"`)
		})
	})
	n = len(lines)
	waitRunning(t, d, "a", "b")
	d.dial().ok("command restart service b")
	ev.waitFor("web1's b restarted", func(lines []string) bool {
		return slices.ContainsFunc(lines[n:], func(l string) bool {
			return strings.HasPrefix(l, "web1\t") && strings.Contains(l, `"service":"b"`) && strings.Contains(l, `"to":"stopping"`)
		})
	})
	if _, err := os.Stat(filepath.Join(home, "fleet.hubs")); !os.IsNotExist(err) {
		t.Errorf("fleet.hubs left after the start that read it: %v", err)
	}
}

// TestFleetHubsFileCorruptIsIgnored: a fleet.hubs in cfkd's home that is
// not the file a cfkd writes at its shutdown (garbage, an address edited
// to a bad one) is logged once and removed, and cfkd starts and serves
// as without it: it tells no hub it is back, and dials nothing the file
// names.
func TestFleetHubsFileCorruptIsIgnored(t *testing.T) {
	t.Parallel()
	r := startFleet(t, fleetServices)
	home := r.hosts["web1"].home
	r.hosts["web1"].dial().ok("command shutdown")
	r.hosts["web1"].waitExit()
	p := filepath.Join(home, "fleet.hubs")
	if err := os.WriteFile(p, []byte("127.0.0.1:1\nnot an address\x1b[2J\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, home, r.memberArgs("web1", "-c", r.conf["web1"])...)
	r.hosts["web1"] = d
	waitRunning(t, d, "a", "b")
	log := waitLog(t, home, p+" ignored: line 2, not an address\\x1b[2J: not HOST:PORT")
	if strings.Contains(log, "\x1b") {
		t.Errorf("cfkd.log holds the file's escape raw")
	}
	if strings.Contains(log, "127.0.0.1:1") {
		t.Errorf("cfkd.log names the file's first address, which it was not to dial:\n%s", grepLines(log, "127.0.0.1:1", 5))
	}
	if _, err := os.Lstat(p); !os.IsNotExist(err) {
		t.Errorf("fleet.hubs left: %v", err)
	}
}
