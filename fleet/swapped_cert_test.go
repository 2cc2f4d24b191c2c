package fleet

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cfk/cfk/fleet/certs"
	"github.com/cfk/cfk/messages"
)

// Two members on one machine's address, one started with the other's
// certificate: the hub reports it at once, saying so, where it waited for
// an answer it then dropped as another member's ("no answer within").
func TestHostWithAnotherMembersCertificateOnOneAddress(t *testing.T) {
	skipRace(t)
	cf := newCertFleet(t,
		certs.Member{Name: "hub", Role: certs.RoleHub, Addr: "127.0.0.2:1"},
		certs.Member{Name: "web1", Role: certs.RoleHost, Addr: "127.0.0.3:1"},
		certs.Member{Name: "web2", Role: certs.RoleHost, Addr: "127.0.0.3:2"})
	wrong := cf.serve("web2", "127.0.0.3:0", "", &fakeLocal{name: "web2"}) // meant as web1
	hub := cf.serve("hub", "127.0.0.2:0", cf.inventory("inventory", fmt.Sprintf("host web1 addr=%s\n", wrong.Address())), &fakeLocal{name: "hub"})
	tf := &testFleet{t: t, hub: hub}
	_, out := outcomes(t, tf.ask("command fleet status"))
	want := "the cfkd at " + wrong.Address() + " answers as web2, not web1: start it with web1's certificate"
	if o := out["web1"]; o.Kind == messages.FleetOK || !strings.Contains(o.Text, want) {
		t.Fatalf("web1: %+v, want it failed: %q", o, want)
	}
}
