package actors

import (
	"bufio"
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/eventstream"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/osproc"
	"github.com/sirupsen/logrus"
)

// The event lines of the tree (events.go, REFERENCE §1.6) through
// (*Tree).Subscribe, on the fake launcher's rig.

var allSel = messages.Selector{Kind: messages.SelectAll}

func newTestStream() *eventstream.EventStream { return eventstream.NewEventStream() }

func serviceSel(name string) messages.Selector {
	return messages.Selector{Kind: messages.SelectService, Name: name}
}

func tagSel(tag string) messages.Selector {
	return messages.Selector{Kind: messages.SelectTag, Name: tag}
}

// collect reads n lines from f (failing at the deadline, or if it ends).
func collect(t *testing.T, f *Feed, n int) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	var out []string
	for len(out) < n {
		ls, err := f.Next(ctx)
		out = append(out, lineStrings(ls)...)
		if err != nil {
			t.Fatalf("after %d of %d lines: %v (%q)", len(out), n, err, out)
		}
	}
	if len(out) > n {
		t.Fatalf("%d lines, want %d: %q", len(out), n, out)
	}
	return out
}

// quietFeed fails if f has a line queued.
func quietFeed(t *testing.T, f *Feed, what string) {
	t.Helper()
	if ls, _, ended := f.Take(); len(ls) > 0 || ended {
		t.Fatalf("%s: unexpected %q (ended %v)", what, lineStrings(ls), ended)
	}
}

// linesOf is what a feed of the service events of names shows of the
// transitions recorded so far.
func (r *rig) linesOf(names ...string) []string {
	var out []string
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.events {
		for _, n := range names {
			if e.Name == n {
				out = append(out, messages.ServiceEvent(e).Format())
			}
		}
	}
	return out
}

// feedsRig is a rig (stops end at once) with three feeds: of all, of
// service a, of tag web; each is closed when the test ends.
func feedsRig(t *testing.T) (r *rig, all, one, web *Feed) {
	r = newRig(t)
	r.setAutoTerm()
	all = r.tree.Subscribe(messages.Selector{}, Backlog{})
	one = r.tree.Subscribe(serviceSel("a"), Backlog{})
	web = r.tree.Subscribe(tagSel("web"), Backlog{})
	t.Cleanup(func() {
		all.Close()
		one.Close()
		web.Close()
	})
	return r, all, one, web
}

// TestEventsOrderAndFilter: every transition is a line, in the order of
// the service's transitions, with the pid and the fail reason; a service
// selector and a tag selector take only their services' lines.
func TestEventsOrderAndFilter(t *testing.T) {
	t.Parallel()
	r, all, one, web := feedsRig(t)

	pid := r.startRunning("a", "tags=web,prod")
	r.startRunning("b")
	r.fake.exit(t, pid, exitCode(3))
	r.expectSeq("a", fail, starting, running)
	r.okDone("command stop service b", 1)
	r.expectSeq("b", stopping, stopped)

	wantA := r.linesOf("a")
	if len(wantA) != 5 {
		t.Fatalf("a made %d transitions: %q", len(wantA), wantA)
	}
	if got := collect(t, one, 5); strings.Join(got, "\n") != strings.Join(wantA, "\n") {
		t.Fatalf("service a's feed\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantA, "\n"))
	}
	if got := collect(t, web, 5); strings.Join(got, "\n") != strings.Join(wantA, "\n") {
		t.Fatalf("tag web's feed\n%s", strings.Join(got, "\n"))
	}
	crash, err := messages.ParseEvent(wantA[2])
	if err != nil || crash.From != "running" || crash.To != "fail" || crash.Pid != pid || crash.Reason != "Exited with error 3" {
		t.Fatalf("the crash's line %s: %+v, %v", wantA[2], crash, err)
	}
	got := collect(t, all, 9)
	var gotA, gotB []string
	for _, l := range got {
		e, err := messages.ParseEvent(l)
		if err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		if e.Service == "a" {
			gotA = append(gotA, l)
		} else {
			gotB = append(gotB, l)
		}
	}
	if strings.Join(gotA, "\n") != strings.Join(wantA, "\n") || strings.Join(gotB, "\n") != strings.Join(r.linesOf("b"), "\n") {
		t.Fatalf("the whole feed\n%s", strings.Join(got, "\n"))
	}
	quietFeed(t, one, "service a's feed")
	quietFeed(t, web, "tag web's feed")
}

// TestEventsDestroyed: a destroyed service's last line is a destroyed
// event, after its last transition, in the feeds of all, of the service
// and of its tags.
func TestEventsDestroyed(t *testing.T) {
	t.Parallel()
	r, all, one, web := feedsRig(t)
	r.startRunning("a", "tags=web")
	r.okDone("command destroy service a", 1)
	want := append(r.linesOf("a"), "") // starting, running, stopping, stopped, then the end
	if len(want) != 5 {
		t.Fatalf("a made %d transitions: %q", len(want)-1, want)
	}
	for name, f := range map[string]*Feed{"all": all, "service a": one, "tag web": web} {
		got := collect(t, f, 5)
		if strings.Join(got[:4], "\n") != strings.Join(want[:4], "\n") {
			t.Errorf("%s's feed\n%s\nwant\n%s", name, strings.Join(got, "\n"), strings.Join(want[:4], "\n"))
		}
		e, err := messages.ParseEvent(got[4])
		if err != nil || e.Kind != messages.EventDestroyed || e.Service != "a" || e.Time.IsZero() {
			t.Errorf("%s's last line %s: %+v, %v", name, got[4], e, err)
		}
		quietFeed(t, f, name)
	}
}

// TestEventsNameOutlivesDestroy: a service selector selects by name, so
// its stream goes on after the service is destroyed and has a new
// declaration's transitions (REFERENCE §1.4).
func TestEventsNameOutlivesDestroy(t *testing.T) {
	t.Parallel()
	r, _, one, _ := feedsRig(t)
	r.startRunning("a")
	r.okDone("command destroy service a", 1)
	r.expectSeq("a", stopping, stopped)
	if got := collect(t, one, 5); !strings.Contains(got[4], `"destroyed"`) {
		t.Fatalf("service a's feed up to its destroy: %q", got)
	}
	r.startRunning("a")
	want := r.linesOf("a")[4:6] // the new declaration's starting, running
	if got := collect(t, one, 2); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("service a's feed after a new declaration\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestEventsTagFollowsRetag: a tag selector takes a service's transitions
// as of its tags when each happens (REFERENCE §1.5).
func TestEventsTagFollowsRetag(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	web := r.tree.Subscribe(tagSel("web"), Backlog{})
	defer web.Close()
	r.startRunning("b") // no tag yet
	r.ok("service b tags=web")
	r.okDone("command stop service b", 1)
	r.expectSeq("b", stopping, stopped)
	r.ok("service b tags=other")
	r.okDone("command start service b", 1)
	r.expectSeq("b", starting, running)
	r.startRunning("c", "tags=web") // a marker: b's lines come before it
	got := collect(t, web, 4)
	want := r.linesOf("b")[2:4] // stopping, stopped
	want = append(want, r.linesOf("c")...)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("tag web's feed\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestEventsProxySocketCfkd: proxies, sockets and cfkd's own warnings are
// lines of the feed of all; a service selector leaves them out (but for
// cfkd's records that name its service: events_cfkd_sel_test.go).
func TestEventsProxySocketCfkd(t *testing.T) {
	t.Parallel()
	r := newRig(t, func(o *Options) { o.Log.SetLevel(logrus.InfoLevel) })
	r.setAutoTerm()
	proxies := r.playProxies()
	all := r.tree.Subscribe(allSel, Backlog{})
	defer all.Close()
	svc := r.tree.Subscribe(serviceSel("ps"), Backlog{})
	defer svc.Close()

	port := r.bindLoopback("s1")
	r.declareProxied(nil, "ps")
	r.okDone("command start service ps", 1)
	p := nextProxy(t, proxies)
	r.expectSeq("ps", starting)
	r.startProxied(p, "ps", 4242)
	r.tree.System.Root.Send(r.tree.Controller, "an unknown message") // a warning of cfkd's
	port2 := r.bindLoopback("s2")                                    // (s1 cannot be unbound: proxy p's process holds it)

	var got []messages.Event
	for _, l := range collect(t, all, 6) {
		e, err := messages.ParseEvent(l)
		if err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		got = append(got, e)
	}
	if got[1].Kind == messages.EventService { // the proxy actor and the service's run side by side
		got[1], got[2] = got[2], got[1]
	}
	want := []messages.Event{
		{Kind: messages.EventSocket, Socket: "s1", From: "unbound", To: "bound", Address: "127.0.0.1:" + port},
		{Kind: messages.EventProxy, Proxy: "p", From: "down", To: "up", Pid: p.pid},
		{Kind: messages.EventService, Service: "ps", From: "stopped", To: "starting"},
		{Kind: messages.EventService, Service: "ps", From: "starting", To: "running", Pid: 4242},
		{Kind: messages.EventCfkd, Level: "warn", Message: "controller: unknown message ignored"},
		{Kind: messages.EventSocket, Socket: "s2", From: "unbound", To: "bound", Address: "127.0.0.1:" + port2},
	}
	for i := range want {
		g := got[i]
		if g.Time.IsZero() || time.Since(g.Time) > time.Minute {
			t.Errorf("line %d: time %v", i, g.Time)
		}
		g.Time = time.Time{}
		if g != want[i] {
			t.Errorf("line %d: %+v\nwant     %+v", i, g, want[i])
		}
	}
	if got := collect(t, svc, 2); !strings.Contains(got[1], `"to":"running"`) {
		t.Errorf("service ps's feed: %q", got)
	}
	quietFeed(t, svc, "service ps's feed")

	// lines services write are not cfkd's, whatever their level
	if err := r.tree.hook.Fire(&logrus.Entry{Level: logrus.ErrorLevel, Message: "stderr line",
		Data: logrus.Fields{"category": "service.ps.err"}}); err != nil {
		t.Fatal(err)
	}
	quietFeed(t, all, "the feed of all, after a service's line")
}

// TestTailCommand: `command tail NAME [N]` answers the last lines a
// service wrote, stdout and stderr alike, oldest first; a destroy frees
// them; follow is only for a connection.
func TestTailCommand(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	pid := r.startRunning("a")
	l := r.fake.waitLaunch(t, 1)
	for _, s := range []string{"one", "two", "three"} {
		l.Spec.StdoutLines(pid, osproc.LinesOf([]byte(s)))
	}
	l.Spec.StderrLines(pid, osproc.LinesOf([]byte("oops")))
	if got := r.ok("command tail a"); strings.Join(got, ",") != "one,two,three,oops" {
		t.Fatalf("tail a: %q", got)
	}
	if got := r.ok("command tail a 2"); strings.Join(got, ",") != "three,oops" {
		t.Fatalf("tail a 2: %q", got)
	}
	if got := r.ok("command tail a 0"); len(got) != 0 {
		t.Fatalf("tail a 0: %q", got)
	}
	r.startRunning("quiet")
	if got := r.ok("command tail quiet"); len(got) != 0 {
		t.Fatalf("tail of a quiet service: %q", got)
	}
	r.fails("command tail nosuch", "Couldn't find a valid service. bailing.")
	r.fails("command events service nosuch", "'events' streams: only on an admin connection")
	r.fails("command tail a follow", "'tail' streams: only on an admin connection")

	f := r.tree.Tail().Follow("a", 1, Backlog{})
	defer f.Close()
	if got := collect(t, f, 1); got[0] != "oops" {
		t.Fatalf("follow: %q", got)
	}
	r.okDone("command destroy service a", 1)
	if _, err := f.Next(context.Background()); !errors.Is(err, ErrFeedClosed) {
		t.Fatalf("the follower of a destroyed service: %v", err)
	}
	if got := r.tree.Tail().Last("a", 10); got != nil {
		t.Fatalf("a destroyed service's lines: %q", got)
	}
	l.Spec.StdoutLines(pid, osproc.LinesOf([]byte("late"))) // an orphan of the old a, say
	r.ok("service a cmd=sleep 1")
	if got := r.ok("command tail a"); len(got) != 0 {
		t.Fatalf("tail of a new a: %q", got)
	}
}

// TestTailProxied: the lines of a proxied service come through the
// proxy's log pipe, into its tail.
func TestTailProxied(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.setAutoTerm()
	proxies := r.playProxies()
	r.declareProxied(nil, "ps")
	r.okDone("command start service ps", 1)
	p := nextProxy(t, proxies)
	r.expectSeq("ps", starting)
	r.startProxied(p, "ps", 4242)
	f := r.tree.Tail().Follow("ps", 20, Backlog{})
	defer f.Close()
	p.log("out:ps:hello: world")
	p.log("err:ps:oops")
	p.log("out:-:the proxy's own") // not a service's
	p.log("out:ps:bye")
	if got := collect(t, f, 3); strings.Join(got, ",") != "hello: world,oops,bye" {
		t.Fatalf("follow of a proxied service: %q", got)
	}
	if got := r.ok("command tail ps 2"); strings.Join(got, ",") != "oops,bye" {
		t.Fatalf("tail ps 2: %q", got)
	}
	p.stopped("ps", 4242, killedBy(syscall.SIGKILL))
}

// TestConsoleStreams: through a real console and controller, a stream of
// an unknown service is refused like a status of it, and a stream starts
// once the controller says OK.
func TestConsoleStreams(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	ln, err := net.Listen("unix", filepath.Join(t.TempDir(), "sock"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.tree.System.Root.RequestFuture(r.tree.Controller, StartConsole{Listener: ln, Privileged: true}, deadline).Result()
	if err != nil {
		t.Fatal(err)
	}
	defer r.tree.System.Root.Stop(res.(*actor.PID))
	c, err := net.Dial("unix", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(deadline))
	if _, err := c.Write([]byte("command events service nosuch\r\ncommand tail nosuch follow\r\ncommand events tag web\r\n")); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	for i := 0; i < 2; i++ {
		if l, err := br.ReadString('\n'); err != nil || l != "ERROR: Couldn't find a valid service. bailing.\r\n" {
			t.Fatalf("reply %d: %q, %v", i, l, err)
		}
	}
	for end := time.Now().Add(deadline); r.tree.hub.n.Load() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("the stream never subscribed")
		}
	}
	r.startRunning("other")
	r.startRunning("a", "tags=web")
	for i, want := range r.linesOf("a") {
		if l, err := br.ReadString('\n'); err != nil || l != want+"\n" {
			t.Fatalf("line %d: %q, %v; want %s", i, l, err, want)
		}
	}
}
