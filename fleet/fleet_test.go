package fleet

import (
	"context"
	"fmt"
	"io"
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

// fakeLocal is a member's cfkd as the gateway sees it: it answers status,
// version and the service verbs from a table, after an optional delay.
type fakeLocal struct {
	name   string
	mu     sync.Mutex
	asked  []string
	delay  time.Duration
	fail   map[messages.Verb]string // verb → error
	status []string                 // the status lines (default: two)
	feeds  []*actors.Feed
	// subDelay: the next Subscribe takes that long (a host stalled while
	// its hub waits for its subscription)
	subDelay time.Duration
	// answer, when set, answers the commands instead of the table
	answer func(messages.ControlCommand) messages.Reply
	// more, when a test waits for a subscription (waitFeed), is closed
	// by the next Subscribe
	more chan struct{}
}

func (f *fakeLocal) Ask(st messages.Statement, answer func(messages.Reply)) {
	cmd, _ := st.(messages.ControlCommand)
	f.mu.Lock()
	f.asked = append(f.asked, string(cmd.Verb)+" "+cmd.Sel.Name)
	delay, failWith, answerWith := f.delay, f.fail[cmd.Verb], f.answer
	f.mu.Unlock()
	var r messages.Reply
	switch {
	case answerWith != nil:
		r = answerWith(cmd)
	case failWith != "":
		r = messages.ErrorReply(fmt.Errorf("%s", failWith))
	case cmd.Verb == messages.VerbStatus && f.status != nil:
		r.Lines = f.status
	case cmd.Verb == messages.VerbStatus:
		r.Lines = []string{"svc1\trunning\t4711\t1795274153\t\t\t\tsleep 100", "svc2\tstopped\t\t\t\t\t\t"}
	case cmd.Verb == messages.VerbVersion:
		r.Lines = []string{"cfk test-" + f.name}
	default:
		r.Lines = []string{"done 1"}
	}
	go func() {
		time.Sleep(delay)
		answer(r)
	}()
}

func (f *fakeLocal) Subscribe(sel messages.Selector, b actors.Backlog) *actors.Feed {
	f.mu.Lock()
	delay := f.subDelay
	f.subDelay = 0
	f.mu.Unlock()
	time.Sleep(delay) // the gateway waits: the host is stalled
	feed := actors.NewFeed(b, nil, nil)
	f.mu.Lock()
	f.feeds = append(f.feeds, feed)
	if f.more != nil {
		close(f.more)
		f.more = nil
	}
	f.mu.Unlock()
	return feed
}

// waitFeed waits, d at most, for f to have taken n subscriptions, and
// returns the nth.
func (f *fakeLocal) waitFeed(t testing.TB, n int, d time.Duration) *actors.Feed {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		f.mu.Lock()
		if len(f.feeds) >= n {
			feed := f.feeds[n-1]
			f.mu.Unlock()
			return feed
		}
		if f.more == nil {
			f.more = make(chan struct{})
		}
		more := f.more
		f.mu.Unlock()
		select {
		case <-more:
		case <-timer.C:
			t.Fatalf("%s has taken fewer than %d subscriptions after %v", f.name, n, d)
		}
	}
}

func (f *fakeLocal) askedVerbs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.asked...)
}

// skipRace skips a test that runs several members in one process under
// the race detector: protoactor's remote.Start sets gRPC's logger,
// process-wide and without a lock, while the members started before log
// through it. cfkd runs one member per process; make test runs this
// package again without -race, and integration/e2e runs fleets of real
// cfkd under it.
func skipRace(t testing.TB) {
	if raceEnabled {
		t.Skip("several protoactor remotes in one process race on gRPC's logger: run without -race")
	}
}

// testFleet is a hub and hosts in one process, each a Node of its own on
// 127.0.0.1, with certificates of a CA made for the test.
type testFleet struct {
	t         testing.TB
	timeout   time.Duration            // the hub's (2 s: newTestFleet)
	keepalive map[string]time.Duration // by member (none: DefaultKeepalive)
	dir       string
	hub       *Node
	hubLoc    *fakeLocal
	hosts     []*Node
	locals    []*fakeLocal
}

func quietLog() *logrus.Logger {
	l := logrus.New()
	l.SetOutput(io.Discard)
	if testing.Verbose() {
		l.SetOutput(os.Stderr)
		l.SetLevel(logrus.DebugLevel)
	}
	return l
}

func newTestFleet(t testing.TB, names ...string) *testFleet {
	t.Helper()
	return newTestFleetTimeout(t, 2*time.Second, names...)
}

// newTestFleetTimeout is newTestFleet with the hub's --fleet-timeout.
func newTestFleetTimeout(t testing.TB, timeout time.Duration, names ...string) *testFleet {
	t.Helper()
	return newTestFleetKeepalive(t, timeout, nil, names...)
}

// newTestFleetKeepalive is newTestFleetTimeout with the members'
// --fleet-keepalive by name ("hub" too; DefaultKeepalive for the others).
func newTestFleetKeepalive(t testing.TB, timeout time.Duration, keepalive map[string]time.Duration, names ...string) *testFleet {
	t.Helper()
	skipRace(t)
	tf := &testFleet{t: t, dir: t.TempDir(), timeout: timeout, keepalive: keepalive}
	members := []certs.Member{{Name: "hub", Role: certs.RoleHub, Addr: "127.0.0.1:1"}}
	for i, n := range names { // the certificates name 127.0.0.1; the ports are the inventory's
		members = append(members, certs.Member{Name: n, Role: certs.RoleHost, Addr: fmt.Sprintf("127.0.0.1:%d", i+2)})
	}
	if err := certs.Generate(tf.dir, members, time.Hour); err != nil {
		t.Fatal(err)
	}
	var inv strings.Builder
	for _, n := range names {
		node, loc := tf.start(n, "")
		tf.hosts = append(tf.hosts, node)
		tf.locals = append(tf.locals, loc)
		fmt.Fprintf(&inv, "host %s addr=%s tags=web,%s\n", n, node.Address(), n)
	}
	invFile := filepath.Join(tf.dir, "inventory")
	if err := os.WriteFile(invFile, []byte(inv.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	tf.hub, tf.hubLoc = tf.start("hub", invFile)
	return tf
}

func (tf *testFleet) config(name, inv string) Config {
	c, k := certs.Files(name)
	return Config{Listen: "127.0.0.1:0", CA: filepath.Join(tf.dir, certs.CAFile), Cert: filepath.Join(tf.dir, c),
		Key: filepath.Join(tf.dir, k), Inventory: inv, Timeout: tf.timeout, Keepalive: tf.keepalive[name], Version: "cfk test", Log: quietLog()}
}

func (tf *testFleet) start(name, inv string) (*Node, *fakeLocal) {
	tf.t.Helper()
	loc := &fakeLocal{name: name}
	return serveNode(tf.t, tf.config(name, inv), loc), loc
}

// ask sends a `command fleet ...` line to the hub and waits for the reply.
func (tf *testFleet) ask(line string) messages.Reply {
	tf.t.Helper()
	st, err := messages.Parse(line)
	if err != nil {
		tf.t.Fatalf("%s: %v", line, err)
	}
	ch := make(chan messages.Reply, 1)
	tf.hub.Handler().Request(st.(messages.Fleet), func(r messages.Reply) { ch <- r })
	select {
	case r := <-ch:
		return r
	case <-time.After(30 * time.Second):
		tf.t.Fatalf("%s: no reply", line)
	}
	return messages.Reply{}
}

// outcomes parses a reply into each host's lines and outcome.
func outcomes(t testing.TB, r messages.Reply) (map[string][]string, map[string]messages.FleetLine) {
	t.Helper()
	if r.Err != nil {
		t.Fatalf("reply: %v", r.Err)
	}
	lines, out := map[string][]string{}, map[string]messages.FleetLine{}
	for _, l := range r.Lines {
		fl, err := messages.ParseFleetLine(l)
		if err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		if fl.Outcome() {
			out[fl.Host] = fl
		} else {
			lines[fl.Host] = append(lines[fl.Host], fl.Text)
		}
	}
	return lines, out
}

func TestFleetStatusAndHosts(t *testing.T) {
	tf := newTestFleet(t, "web1", "web2")
	lines, out := outcomes(t, tf.ask("command fleet status"))
	for _, h := range []string{"web1", "web2"} {
		if out[h].Kind != messages.FleetOK || len(lines[h]) != 2 || !strings.HasPrefix(lines[h][0], "svc1\trunning") {
			t.Fatalf("%s: %q %+v", h, lines[h], out[h])
		}
	}
	lines, out = outcomes(t, tf.ask("command fleet hosts"))
	if out["web2"].Kind != messages.FleetOK || len(lines["web2"]) != 2 || lines["web2"][1] != "cfk test-web2" {
		t.Fatalf("hosts: %q %+v", lines, out)
	}
	// a second request reuses the connections
	if _, out = outcomes(t, tf.ask("command fleet hosts=web1 restart tag web")); len(out) != 1 || out["web1"].Kind != messages.FleetOK {
		t.Fatalf("restart: %+v", out)
	}
}

func writeFile(t *testing.T, name, text string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

func contextWithTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}

// TestSmallRegistry: a fleet node's actor system has a small registry
// (actors.ShrinkRegistry, in New) that kept the processes of its
// creation and finds those spawned later: a hub's request goes through.
func TestSmallRegistry(t *testing.T) {
	tf := newTestFleet(t, "web1")
	for _, n := range append([]*Node{tf.hub}, tf.hosts...) {
		if k := len(n.sys.ProcessRegistry.LocalPIDs.LocalPIDs); k != registryBuckets {
			t.Fatalf("%d buckets, want %d", k, registryBuckets)
		}
		if _, ok := n.sys.ProcessRegistry.GetLocal("deadletter"); !ok {
			t.Fatal("the dead letter process was lost")
		}
	}
	if _, out := outcomes(t, tf.ask("command fleet status")); out["web1"].Kind != messages.FleetOK {
		t.Fatalf("fleet status through the hub: %+v", out)
	}
}
