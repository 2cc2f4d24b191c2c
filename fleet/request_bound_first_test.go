package fleet

import (
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/cfk/cfk/fleet/certs"
	"github.com/cfk/cfk/messages"
)

// silentListener accepts connections and never answers (a host whose
// machine is stalled: the hub's TLS handshake waits); closed, with what
// it accepted, at the test's end.
func silentListener(t *testing.T, addr string) string {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}

// TestHubFirstAnswerWithinTheRequestsBound: a host that never accepts a
// request was given --fleet-timeout from the moment it was asked, whatever
// the request's bound: a host of a rolling request asked late, or a
// --fleet-timeout longer than the bound (15m), had its deadline after the
// admin connection's own 10 minutes, which answered `no answer after
// 10m0s` and closed, every host's outcome lost. The hub now answers
// within requestBound of the request there too.
func TestHubFirstAnswerWithinTheRequestsBound(t *testing.T) {
	skipRace(t)
	bound := requestBound
	requestBound = 3 * time.Second
	t.Cleanup(func() { requestBound = bound })
	cf := newCertFleet(t,
		certs.Member{Name: "hub", Role: certs.RoleHub, Addr: "127.0.0.2:1"},
		certs.Member{Name: "web1", Role: certs.RoleHost, Addr: "127.0.0.3:1"},
		certs.Member{Name: "web2", Role: certs.RoleHost, Addr: "127.0.0.4:1"})
	web1Loc := &fakeLocal{name: "web1", delay: 1500 * time.Millisecond} // done after 1.5 s
	web1 := cf.serve("web1", "127.0.0.3:0", "", web1Loc)
	silent := silentListener(t, "127.0.0.4:0") // web2: never answers
	inv := cf.inventory("inventory", fmt.Sprintf("host web1 addr=%s tags=web\nhost web2 addr=%s tags=web\n", web1.Address(), silent))
	for _, tc := range []struct {
		line    string
		timeout time.Duration // the hub's --fleet-timeout
	}{
		{"command fleet rolling-hosts restart tag web", 5 * time.Second}, // web2 asked 1.5 s in: 6.5 s
		{"command fleet hosts=web2 status", time.Minute},                 // longer than the bound
	} {
		cfg := cf.conf("hub", "127.0.0.2:0", inv)
		cfg.Timeout = tc.timeout
		hub := serveNode(t, cfg, &fakeLocal{name: "hub"})
		st, err := messages.Parse(tc.line)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		ch := make(chan messages.Reply, 1)
		hub.Handler().Request(st.(messages.Fleet), func(r messages.Reply) { ch <- r })
		var r messages.Reply
		select {
		case r = <-ch:
		case <-time.After(requestBound + 2*time.Second):
			t.Fatalf("%s: no reply %v after the request (its bound: %v)", tc.line, time.Since(start), requestBound)
		}
		_, out := outcomes(t, r)
		if o := out["web2"]; o.Kind != messages.FleetDown || o.Text != "no answer within 3s of the request" {
			t.Fatalf("%s: web2 %+v, want down: no answer within 3s of the request", tc.line, o)
		}
		hub.Stop()
	}
}
