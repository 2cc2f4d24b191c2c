package fleet

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/fleet/certs"
	"github.com/cfk/cfk/messages"
	"github.com/sirupsen/logrus"
)

// syncBuffer is a log's output that a test reads while the log writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A host shut down and started again tells the hubs its former cfkd
// told it went that it is back (Node.BackFromShutdown, the addresses read
// from its home): their streams subscribe there at once, where they
// waited for their retry, --fleet-timeout after the connection went, the
// host's events meanwhile lost (REFERENCE §12.3). The addresses come from
// a file: only a hub of the fleet answering there is told. A member that
// is no hub is not; an address where nothing listens is never handed to
// protoactor, which would dead-letter for 2 s what the host sends there
// after its dial failed: a hub started there at once gets its answers.
func TestHostBackFromShutdownTellsOnlyTheHubsThere(t *testing.T) {
	const timeout = 10 * time.Second // the retry: far after the deadlines below
	tf := newTestFleetTimeout(t, timeout, "web1", "web2")
	st, _ := messages.Parse("command fleet events")
	feed, err := tf.hub.Handler().Stream(st.(messages.Fleet), true, actors.DefaultBacklog, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(feed.Close)
	waitSubscribed(t, tf.locals[0], 10*time.Second)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String() // nothing listens there once closed
	ln.Close()
	addr := tf.hosts[0].Address()
	hubs := tf.hosts[0].Leave(WhyHostShutDown)
	tf.hosts[0].Stop()
	cfg := tf.config("web1", "")
	cfg.Listen = addr
	out := &syncBuffer{}
	cfg.Log = logrus.New()
	cfg.Log.SetOutput(out)
	cfg.Log.SetLevel(logrus.DebugLevel)
	loc := &fakeLocal{name: "web1"}
	next := serveNode(t, cfg, loc)
	done := make(chan struct{})
	next.BackFromShutdown(append([]string{dead, tf.hosts[1].Address()}, hubs...), func() { close(done) })
	waitSubscribed(t, loc, timeout/2)
	select {
	case <-done:
	case <-time.After(timeout / 2):
		t.Fatal("BackFromShutdown did not end")
	}
	log := out.String()
	for _, a := range []string{dead, tf.hosts[1].Address()} {
		if !strings.Contains(log, "the hub at "+a+", told at this member's last shutdown that its cfkd went, is not told it is back") {
			t.Errorf("no word of %s not told:\n%s", a, log)
		}
	}
	// a hub started where nothing listened: the host answers it
	if err := certs.Issue(tf.dir, []certs.Member{{Name: "hub2", Role: certs.RoleHub, Addr: "127.0.0.1:1"}}, time.Hour); err != nil {
		t.Fatal(err)
	}
	inv := filepath.Join(tf.dir, "inventory2")
	if err := os.WriteFile(inv, []byte(fmt.Sprintf("host web1 addr=%s\n", addr)), 0o600); err != nil {
		t.Fatal(err)
	}
	hcfg := tf.config("hub2", inv)
	hcfg.Listen = dead
	hub2 := serveNode(t, hcfg, &fakeLocal{name: "hub2"})
	ask, _ := messages.Parse("command fleet status")
	ch := make(chan messages.Reply, 1)
	hub2.Handler().Request(ask.(messages.Fleet), func(r messages.Reply) { ch <- r })
	select {
	case r := <-ch:
		if _, o := outcomes(t, r); o["web1"].Kind != messages.FleetOK {
			t.Errorf("the hub at %s, where nothing listened: web1 %+v, want ok", dead, o["web1"])
		}
	case <-time.After(2 * timeout): // a host down is said after timeout
		t.Fatal("no reply")
	}
	if strings.Contains(out.String(), "EndpointWriter failed to connect") {
		t.Errorf("the host dialled an address where nothing listened:\n%s", out.String())
	}
}
