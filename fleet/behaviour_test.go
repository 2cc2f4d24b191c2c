package fleet

import (
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/messages"
)

// TestHostDownThenBack: a host that stopped is reported down within the
// deadline while the others answer at once; started again on its
// address, it answers the next request (no restart of the hub).
func TestHostDownThenBack(t *testing.T) {
	tf := newTestFleet(t, "web1", "web2", "web3")
	tf.statusOK("web1", "web2", "web3")
	addr := tf.hosts[1].Address()
	tf.hosts[1].Stop()
	start := time.Now()
	_, out := outcomes(t, tf.ask("command fleet status"))
	took := time.Since(start)
	if out["web2"].Kind != messages.FleetDown || out["web1"].Kind != messages.FleetOK || out["web3"].Kind != messages.FleetOK {
		t.Fatalf("%+v", out)
	}
	if limit := tf.hub.cfg.Timeout + time.Second; took > limit {
		t.Fatalf("answered after %v, want within %v", took, limit)
	}
	t.Logf("web2 down: %q after %v", out["web2"].Text, took)
	// back on the same address
	c := tf.config("web2", "")
	c.Listen = addr
	n, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Serve(&fakeLocal{name: "web2"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Stop)
	tf.statusOK("web1", "web2", "web3")
}

// TestRollingHostsStopsAtFailure: a rolling restart goes host by host and
// stops at the first host whose restart fails; the hosts after it are
// left untouched and listed.
func TestRollingHostsStopsAtFailure(t *testing.T) {
	tf := newTestFleet(t, "web1", "web2", "web3")
	for _, l := range tf.locals {
		l.delay = 50 * time.Millisecond
	}
	tf.locals[1].fail = map[messages.Verb]string{messages.VerbRollingRestart: "Service 'svc1' did not come back up: fatal (Exited with error 1)"}
	_, out := outcomes(t, tf.ask("command fleet rolling-hosts restart tag web"))
	if out["web1"].Kind != messages.FleetOK || out["web2"].Kind != messages.FleetError ||
		out["web3"].Kind != messages.FleetSkipped || out["web3"].Text != "the rolling restart stopped at web2" {
		t.Fatalf("%+v", out)
	}
	if a := tf.locals[2].askedVerbs(); len(a) != 0 {
		t.Fatalf("web3 was asked %q", a)
	}
	if a := tf.locals[0].askedVerbs(); len(a) != 1 || a[0] != "rollingrestart web" {
		t.Fatalf("web1 was asked %q", a)
	}
	// all at once: each host at the same time
	_, out = outcomes(t, tf.ask("command fleet restart tag web"))
	if out["web2"].Kind != messages.FleetOK || out["web3"].Kind != messages.FleetOK {
		t.Fatalf("%+v", out)
	}
}

// TestFleetEvents: the hosts' events come merged, each tagged with its
// host; a host that stops is said down (an event of kind host), and up
// again once it is back.
func TestFleetEvents(t *testing.T) {
	tf := newTestFleet(t, "web1", "web2")
	st, _ := messages.Parse("command fleet events")
	feed, err := tf.hub.Handler().Stream(st.(messages.Fleet), true, actors.DefaultBacklog, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer feed.Close()
	hostFeed := func(i int) *actors.Feed {
		for end := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			l := tf.locals[i]
			l.mu.Lock()
			n := len(l.feeds)
			l.mu.Unlock()
			if n > 0 {
				return l.feeds[n-1]
			}
			if time.Now().After(end) {
				t.Fatalf("host %d: no subscription", i)
			}
		}
	}
	next := func(want ...string) {
		t.Helper()
		var got []string
		ctx, cancel := contextWithTimeout(5 * time.Second)
		defer cancel()
		for len(got) < len(want) {
			lines, err := feed.Next(ctx)
			if err != nil {
				t.Fatalf("after %q: %v", got, err)
			}
			for _, l := range lines {
				got = append(got, string(l))
			}
		}
		for i, w := range want {
			if !strings.HasPrefix(got[i], w) {
				t.Fatalf("line %d: %q, want %q...", i, got[i], w)
			}
		}
	}
	hostFeed(0).Push([]byte(`{"kind":"lost","lost":1}`))
	next("web1\t{\"kind\":\"lost\"")
	hostFeed(1).Push([]byte(`{"kind":"lost","lost":2}`))
	next("web2\t{\"kind\":\"lost\",\"lost\":2}")
	tf.hosts[1].Stop()
	next(`web2	{"kind":"host",`)
}

// TestRollingHostsFirstHostDown: a rolling restart whose first host does
// not answer touches no other host.
func TestRollingHostsFirstHostDown(t *testing.T) {
	tf := newTestFleet(t, "web1", "web2")
	tf.hosts[0].Stop()
	_, out := outcomes(t, tf.ask("command fleet rolling-hosts restart all"))
	if out["web1"].Kind != messages.FleetDown || out["web2"].Kind != messages.FleetSkipped {
		t.Fatalf("%+v", out)
	}
	if a := tf.locals[1].askedVerbs(); len(a) != 0 {
		t.Fatalf("web2 was asked %q", a)
	}
}
