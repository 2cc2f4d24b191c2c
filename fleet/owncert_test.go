package fleet

import (
	"strings"
	"testing"

	"github.com/cfk/cfk/fleet/certs"
)

// A member started with another member's certificate is refused at
// start: its certificate does not name its --fleet-listen host.
func TestAnotherMembersCertificateRefused(t *testing.T) {
	c := newCertFleet(t, certs.Member{Name: "web1", Role: certs.RoleHost, Addr: "127.0.0.2:7000"},
		certs.Member{Name: "web2", Role: certs.RoleHost, Addr: "web2.example:7000"})
	cfg := c.conf("web2", "127.0.0.2:7000", "")
	if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), "is web2's certificate, for web2.example: it does not name --fleet-listen's host 127.0.0.2") {
		t.Fatalf("web2's certificate on web1's address: %v", err)
	}
	cfg = c.conf("web1", "web1.example:7000", "")
	if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), "is web1's certificate, for 127.0.0.2: it does not name --fleet-listen's host web1.example") {
		t.Fatalf("web1's certificate on a name it lacks: %v", err)
	}
	for name, listen := range map[string]string{"web1": "127.0.0.2:7001", "web2": "web2.example:7000"} {
		if _, err := New(c.conf(name, listen, "")); err != nil {
			t.Fatalf("%s on %s: %v", name, listen, err)
		}
	}
}
