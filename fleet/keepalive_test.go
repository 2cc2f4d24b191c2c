package fleet

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/fleet/certs"
	"github.com/cfk/cfk/messages"
)

// TestLongRequestIsNoSilence: a host that works on a request longer than
// the keepalive takes to give a silent peer up (--fleet-keepalive, then
// keepaliveTimeout, REFERENCE §12.3), sending nothing meanwhile, is not
// taken for lost: gRPC's transport acknowledges the pings, not the
// host's actors. Its answer comes, ok.
func TestLongRequestIsNoSilence(t *testing.T) {
	t.Parallel()
	tf := newTestFleetKeepalive(t, 2*time.Second, map[string]time.Duration{"hub": MinKeepalive, "web1": MinKeepalive}, "web1")
	tf.locals[0].delay = MinKeepalive + keepaliveTimeout + 3*time.Second
	st, err := messages.Parse("command fleet status")
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan messages.Reply, 1)
	tf.hub.Handler().Request(st.(messages.Fleet), func(r messages.Reply) { ch <- r })
	var r messages.Reply
	select {
	case r = <-ch:
	case <-time.After(tf.locals[0].delay + 30*time.Second):
		t.Fatal("no reply")
	}
	if _, out := outcomes(t, r); out["web1"].Kind != messages.FleetOK {
		t.Fatalf("web1, working on the request: %+v, want ok", out["web1"])
	}
}

// TestShortKeepaliveIsNotRefused: a hub with the least --fleet-keepalive
// pings its idle connection to a host of the default every 10 s; the
// host's server lets it (REFERENCE §12.3: a member accepts pings every
// 5 s). A server that let pings come only every 45 s (a cfkd before the
// flag) closes that connection at the third (GOAWAY too_many_pings):
// the hub's events said the host down 30 s after the last request.
func TestShortKeepaliveIsNotRefused(t *testing.T) {
	t.Parallel()
	tf := newTestFleetKeepalive(t, 2*time.Second, map[string]time.Duration{"hub": MinKeepalive}, "web1")
	st, _ := messages.Parse("command fleet events")
	feed, err := tf.hub.Handler().Stream(st.(messages.Fleet), true, actors.DefaultBacklog, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer feed.Close()
	tf.locals[0].waitFeed(t, 1, 5*time.Second)
	// idle for four of the hub's pings; no event of web1 may come
	ctx, cancel := context.WithTimeout(context.Background(), 4*MinKeepalive+5*time.Second)
	defer cancel()
	for {
		lines, err := feed.Next(ctx)
		if err != nil {
			if ctx.Err() == nil {
				t.Fatalf("the hub's events ended: %v", err)
			}
			break // the deadline: nothing came
		}
		for _, l := range lines {
			if strings.HasPrefix(string(l), "web1\t") {
				t.Fatalf("web1, idle, pinged every %v: %s", MinKeepalive, l)
			}
		}
	}
	if _, out := outcomes(t, tf.ask("command fleet status")); out["web1"].Kind != messages.FleetOK {
		t.Fatalf("web1 after the pings: %+v, want ok", out["web1"])
	}
}

// Config.Keepalive (--fleet-keepalive, REFERENCE §12.3): 50 s when not
// given, above the 45 s an older member lets pings come every; 10 s to
// 1 h, others refused.
func TestKeepaliveDefaultAndBounds(t *testing.T) {
	c := newCertFleet(t, certs.Member{Name: "web1", Role: certs.RoleHost, Addr: "127.0.0.2:7000"})
	n, err := New(c.conf("web1", "127.0.0.2:7000", ""))
	if err != nil || n.cfg.Keepalive != 50*time.Second {
		t.Fatalf("no keepalive given: %v, error %v; want 50s", n.cfg.Keepalive, err)
	}
	for _, ka := range []time.Duration{MinKeepalive, MaxKeepalive} {
		cfg := c.conf("web1", "127.0.0.2:7000", "")
		cfg.Keepalive = ka
		if n, err := New(cfg); err != nil || n.cfg.Keepalive != ka {
			t.Fatalf("keepalive %v: error %v", ka, err)
		}
	}
	for _, ka := range []time.Duration{-time.Second, MinKeepalive - 1, MaxKeepalive + 1} {
		cfg := c.conf("web1", "127.0.0.2:7000", "")
		cfg.Keepalive = ka
		if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), "want 10s to 1h0m0s") {
			t.Fatalf("keepalive %v: error %v, want refused", ka, err)
		}
	}
}
