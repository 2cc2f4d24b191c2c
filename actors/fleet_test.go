package actors

import (
	"bufio"
	"errors"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/messages"
)

// fakeFleet is a hub's handler: it answers each request with its lines,
// and streams into the feed it hands out.
type fakeFleet struct {
	mu    sync.Mutex
	asked []messages.Fleet
	feed  *Feed
	gone  chan struct{}
	admin bool // the last stream's peer held admin
}

func (f *fakeFleet) Request(m messages.Fleet, answer func(messages.Reply)) {
	f.mu.Lock()
	f.asked = append(f.asked, m)
	f.mu.Unlock()
	go answer(messages.Reply{Lines: append([]string{"hosts " + string(m.Verb)}, m.Lines...)})
}

func (f *fakeFleet) Stream(m messages.Fleet, admin bool, b Backlog, onCut func()) (*Feed, error) {
	if m.Hosts != nil {
		return nil, errors.New("unknown host 'x'")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.admin = admin
	f.feed = NewFeed(b, onCut, func() { close(f.gone) })
	return f.feed, nil
}

func (f *fakeFleet) current() *Feed {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.feed
}

// consoleOf starts the console start says (its Listener: a UNIX socket
// made here) on tree and connects to it; both end with the test.
func consoleOf(tb testing.TB, tree *Tree, start StartConsole) (net.Conn, *bufio.Reader) {
	tb.Helper()
	ln, err := net.Listen("unix", filepath.Join(tb.TempDir(), "sock"))
	if err != nil {
		tb.Fatal(err)
	}
	start.Listener = ln
	res, err := tree.System.Root.RequestFuture(tree.Controller, start, deadline).Result()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { tree.System.Root.Stop(res.(*actor.PID)) })
	c, err := net.Dial("unix", ln.Addr().String())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(deadline))
	return c, bufio.NewReader(c)
}

func expectLines(t *testing.T, br *bufio.Reader, want ...string) {
	t.Helper()
	for _, w := range want {
		if l, err := br.ReadString('\n'); err != nil || l != w {
			t.Fatalf("got %q (%v), want %q", l, err, w)
		}
	}
}

// TestFleetRequests: `command fleet` goes to the hub's handler, never to
// the controller, in its turn among the connection's requests; a stream
// carries what the handler pushes; a cfkd without one refuses, and so
// does the controller (a config file's line).
func TestFleetRequests(t *testing.T) {
	t.Parallel()
	fl := &fakeFleet{gone: make(chan struct{})}
	r := newRig(t, func(o *Options) { o.Fleet = fl })
	c, br := consoleOf(t, r.tree, StartConsole{Privileged: true})
	if _, err := c.Write([]byte("command fleet status tag web\r\ncommand list\r\ncommand fleet hosts=a hosts=b status\r\ncommand fleet hosts=x events\r\ncommand fleet events\r\n")); err != nil {
		t.Fatal(err)
	}
	expectLines(t, br, "hosts status\n", "command status tag web\n", "OK\r\n", "OK\r\n",
		"ERROR: fleet: 'hosts=' given twice: give one list, comma-separated (hosts=a,b)\r\n", "ERROR: unknown host 'x'\r\n")
	for end := time.Now().Add(deadline); fl.current() == nil; time.Sleep(time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("no stream")
		}
	}
	fl.mu.Lock()
	if !fl.admin {
		t.Error("the stream of an admin peer asked as not admin's")
	}
	fl.mu.Unlock()
	fl.current().Push(messages.FleetEventLine("web1", []byte(`{"kind":"lost","lost":1}`)))
	expectLines(t, br, "web1\t{\"kind\":\"lost\",\"lost\":1}\n")
	c.Close()
	select {
	case <-fl.gone:
	case <-time.After(deadline):
		t.Fatal("the feed was never detached")
	}
	if rep := r.exec("command fleet status"); rep.Err == nil || rep.Err.Error() != errFleetOnlyAdmin.Error() {
		t.Fatalf("the controller: %+v", rep)
	}

	r2 := newRig(t)
	c2, br2 := consoleOf(t, r2.tree, StartConsole{Privileged: true})
	if _, err := c2.Write([]byte("command fleet status\r\ncommand fleet events\r\n")); err != nil {
		t.Fatal(err)
	}
	expectLines(t, br2, "ERROR: "+ErrNotFleetHub.Error()+"\r\n", "ERROR: "+ErrNotFleetHub.Error()+"\r\n")
}

// TestTreeAsk: Ask answers through a callback, as the controller would.
func TestTreeAsk(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.ok("service a cmd=sleep 100")
	ch := make(chan messages.Reply, 1)
	r.tree.Ask(messages.ControlCommand{Verb: messages.VerbList}, func(rep messages.Reply) { ch <- rep })
	select {
	case rep := <-ch:
		if rep.Err != nil || len(rep.Lines) != 1 || rep.Lines[0] != "a" {
			t.Fatalf("%+v", rep)
		}
	case <-time.After(deadline):
		t.Fatal("no answer")
	}
}
