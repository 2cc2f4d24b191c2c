package web

import (
	"bufio"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/internal/testkit"
)

// streamsInAll and streamsPerPeer are the bounds of TestStreamsPerUser.
const (
	streamsInAll   = 8
	streamsPerPeer = streamsInAll / 2
)

// TestRunAsStreamHolder is the local user of TestStreamsPerUser, run as
// nobody: it holds its share of the streams at STREAMS_ADDR (testkit).
func TestRunAsStreamHolder(t *testing.T) {
	if os.Getenv(testkit.RunAsEnv) == "" {
		t.Skip("run by StartAs only")
	}
	testkit.HoldHTTPStreams(os.Getenv("STREAMS_ADDR"), "/api/events", "", streamsPerPeer, 65534)
}

// One local user who opens every stream it may (a read right is enough)
// does not close the streams to the others: the streams are counted per
// peer too, the peer of their connection (the uid that owns the client's
// socket on loopback), at most half of them each. The user's one more is
// answered 503 saying it is its share that is used up, root's stream
// opens and gets the changes, and a stream the user closes gives its
// slot back to it (REFERENCE §10.1).
func TestStreamsPerUser(t *testing.T) {
	testkit.RequireRoot(t)
	r := newRig(t, Options{Streams: streamsInAll})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go r.web.Serve(ln) // not r.http: Serve counts the peers
	addr := ln.Addr().String()
	r.ok("service a cmd=sleep 100")
	child := testkit.StartAs(t, 65534, 65534, "TestRunAsStreamHolder", "STREAMS_ADDR="+addr)
	child.Expect(t, "held", 2*deadline)
	c, err := testkit.OpenHTTPStream(addr, "/api/events", "")
	if err != nil {
		t.Fatalf("root's stream with nobody's %d held: %v", streamsPerPeer, err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(deadline))
	r.ok("command start service a")
	br := bufio.NewReader(c)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("root's stream: no transition of a: %v", err)
		}
		if strings.HasPrefix(line, "data: ") && strings.Contains(line, `"service":"a"`) {
			break
		}
	}
	child.Stdin.Write([]byte("reopen 2\n"))
	child.Expect(t, "reopened", 2*deadline)
	child.Stdin.Close()
	if err := child.Wait(); err != nil {
		t.Fatalf("nobody's client: %v\n%s", err, child.Stderr())
	}
}

// A peer's stream slots come back however its streams end: a cutoff, its
// client gone, the server closed (REFERENCE §10.1).
func TestStreamSlotsOfAPeerComeBack(t *testing.T) {
	r := newRig(t, Options{Streams: 4})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go r.web.Serve(ln)
	addr := ln.Addr().String()
	peer := "uid " + strconv.Itoa(os.Getuid())
	var open []net.Conn
	defer func() {
		for _, c := range open {
			c.Close()
		}
	}()
	// fill opens streams until this peer holds its 2, waiting for the
	// slots of the streams that ended to come back, then checks that one
	// more is refused as this peer's
	fill := func(how string) {
		t.Helper()
		end := time.Now().Add(deadline)
		for len(open) < 2 {
			c, err := testkit.OpenHTTPStream(addr, "/api/events", "")
			if err == nil {
				open = append(open, c)
				continue
			}
			if time.Now().After(end) {
				t.Fatalf("after %s: stream %d: %v", how, len(open)+1, err)
			}
			time.Sleep(5 * time.Millisecond)
		}
		_, err := testkit.OpenHTTPStream(addr, "/api/events", "")
		if want := "too many streams open from " + peer + " (2 open, the most one peer may hold of the 4): close one of its pages or log follows"; err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("after %s: a third stream: %v, want 503 %q", how, err, want)
		}
	}
	fill("opening")
	// cut off: the hub cuts both pages off (TestStreamCutoff)
	r.web.hub.mu.Lock()
	for sub := range r.web.hub.subs {
		close(sub.cut)
		delete(r.web.hub.subs, sub)
	}
	r.web.hub.mu.Unlock()
	for _, c := range open {
		c.SetReadDeadline(time.Now().Add(deadline))
		if _, err := io.Copy(io.Discard, c); err != nil {
			t.Fatalf("a stream cut off did not end: %v", err)
		}
		c.Close()
	}
	open = nil
	fill("a cutoff")
	open[0].Close() // its client gone
	open = open[1:]
	fill("a client gone")
	r.web.Close()
	waitFor(t, "the slots of the streams a Close ended", func() bool {
		ok, n, _ := r.web.streamPeers.Take(peer)
		if ok {
			r.web.streamPeers.Give(peer)
		}
		return n == 0
	})
}

// A peer's log follows count in its share with its event streams: they
// are streams alike (REFERENCE §10.1).
func TestStreamsPerPeerCountLogFollows(t *testing.T) {
	r := newRig(t, Options{Streams: 4, Logs: quietLogs{}})
	r.ok("service a cmd=sleep 100")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go r.web.Serve(ln)
	addr := ln.Addr().String()
	for _, path := range []string{"/api/events", "/api/services/a/log/follow"} {
		c, err := testkit.OpenHTTPStream(addr, path, "")
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		defer c.Close()
	}
	want := "too many streams open from uid " + strconv.Itoa(os.Getuid()) + " (2 open"
	for _, path := range []string{"/api/events", "/api/services/a/log/follow"} {
		if _, err := testkit.OpenHTTPStream(addr, path, ""); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s past the share: %v, want 503 %q", path, err, want)
		}
	}
}
