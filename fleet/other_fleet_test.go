package fleet

import (
	"fmt"
	"testing"
	"time"

	"github.com/cfk/cfk/fleet/certs"
	"github.com/cfk/cfk/messages"
)

// A host whose certificate is of another fleet (another CA) is `down`
// with the cause: the TLS handshake's failure, not a bare `cannot
// connect`, which reads as a host down or a wrong address.
func TestHostOfAnotherFleetNamesTheCause(t *testing.T) {
	skipRace(t)
	members := []certs.Member{
		{Name: "hub", Role: certs.RoleHub, Addr: "127.0.0.2:1"},
		{Name: "web1", Role: certs.RoleHost, Addr: "127.0.0.3:1"},
	}
	ours := newCertFleet(t, members...)
	theirs := newCertFleet(t, members...)
	web1 := theirs.serve("web1", "127.0.0.3:0", "", &fakeLocal{name: "web1"})
	cfg := ours.conf("hub", "127.0.0.2:0", ours.inventory("inventory", fmt.Sprintf("host web1 addr=%s\n", web1.Address())))
	cfg.Timeout = 10 * time.Second // protoactor gives up on a dial after 2 s
	hub := serveNode(t, cfg, &fakeLocal{name: "hub"})
	tf := &testFleet{t: t, hub: hub}
	_, out := outcomes(t, tf.ask("command fleet status"))
	want := "cannot connect to " + web1.Address() +
		": TLS handshake failed: its certificate is not signed by this fleet's CA (another fleet's certificate?)"
	if o := out["web1"]; o.Kind != messages.FleetDown || o.Text != want {
		t.Fatalf("web1: %+v, want down: %s", o, want)
	}
}

func TestDialCause(t *testing.T) {
	for err, want := range map[string]string{
		`rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial tcp 127.0.0.3:1: connect: connection refused"`:                                                              "",
		`rpc error: code = Unavailable desc = connection error: desc = "transport: authentication handshake failed: tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time"`: "TLS handshake failed: its certificate has expired or is not yet valid",
		`rpc error: code = Unavailable desc = connection error: desc = "transport: authentication handshake failed: remote error: tls: unknown certificate authority"`:                                                   "TLS handshake failed: it refused this hub's certificate (unknown certificate authority)",
		`rpc error: code = Unavailable desc = connection error: desc = "transport: authentication handshake failed: tls: first record does not look like a TLS handshake"`:                                               "TLS handshake failed: tls: first record does not look like a TLS handshake",
	} {
		if got := dialCause(err); got != want {
			t.Errorf("dialCause(%q) = %q, want %q", err, got, want)
		}
	}
}
