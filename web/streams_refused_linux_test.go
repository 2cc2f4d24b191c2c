package web

import (
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cfk/cfk/internal/testkit"
	"github.com/sirupsen/logrus"
)

// A stream refused past its bounds is logged, as a connection refused is,
// one record a second at most, the next saying how many were not
// (REFERENCE §10.1): past its peer's share (with the peer and its count),
// and past the bound in all (with the peer it came from). It was
// answered 503 and nothing was logged.
func TestStreamsRefusedAreLogged(t *testing.T) {
	uid := "uid " + strconv.Itoa(os.Getuid())
	t.Run("per peer", func(t *testing.T) {
		x := newRefusalRig(t)
		x.hold("/api/events")
		x.hold("/api/services/a/log/follow")
		perPeer := "too many streams open from " + uid + " (2 open, the most one peer may hold of the 4)"
		x.refused("/api/events", perPeer)
		x.logs("http: stream refused: " + perPeer + ": GET /api/events\"")
		x.refused("/api/services/a/log/follow", perPeer) // within the second: kept back
		x.refused("/api/events", perPeer)
		x.later()
		x.refused("/api/services/a/log/follow", perPeer)
		x.logs("http: stream refused: " + perPeer + ": GET /api/services/a/log/follow (2 more refused since the last record)")
		if n := strings.Count(x.logged.String(), "stream refused"); n != 2 {
			t.Errorf("%d records of refused streams, want 2:\n%s", n, x.logged.String())
		}
	})
	t.Run("a long path", func(t *testing.T) {
		// its path shown as an error's text shows it, cut at 256 bytes:
		// the record was as long as the request's line, up to 1 MiB
		x := newRefusalRig(t)
		x.hold("/api/events")
		x.hold("/api/events")
		p := "/api/services/" + strings.Repeat("n", 64<<10) + "/log/follow"
		x.refused(p, "too many streams open from "+uid)
		x.logs(": GET " + p[:256] + "...\"")
		if n := len(x.logged.String()); n > 1024 {
			t.Errorf("the record of a stream refused is %d bytes long", n)
		}
	})
	t.Run("in all", func(t *testing.T) {
		// one stream of this peer, three of no peer (r.http: counted in
		// all only): its next has room in its share, none in all
		x := newRefusalRig(t)
		x.hold("/api/events")
		for range 3 {
			x.r.stream(t, "/api/events").next("snapshot")
		}
		x.refused("/api/services/a/log/follow", "too many streams open (4)")
		x.logs("http: stream refused: too many streams open (4): GET /api/services/a/log/follow from " + uid + "\"")
	})
}

// refusalRig is a rig whose log is kept and whose refusals' clock the
// test moves, with the stream helpers of TestStreamsRefusedAreLogged.
type refusalRig struct {
	t      *testing.T
	r      *rig
	addr   string
	logged *testkit.Buffer
	mu     sync.Mutex
	now    time.Time
}

func newRefusalRig(t *testing.T) *refusalRig {
	x := &refusalRig{t: t, logged: &testkit.Buffer{}, now: time.Now()}
	log := logrus.New()
	log.SetOutput(x.logged)
	x.r = newRig(t, Options{Streams: 4, Logs: quietLogs{}, Log: log})
	x.r.web.streamRefusals.Now = func() time.Time { x.mu.Lock(); defer x.mu.Unlock(); return x.now }
	x.r.web.streamRefusals.LateAfter = time.Hour // the counts go with the records (a slow host: never late)
	x.r.ok("service a cmd=sleep 100")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go x.r.web.Serve(ln) // not r.http: Serve counts the peers
	x.addr = ln.Addr().String()
	return x
}

// later moves the refusals' clock past their second.
func (x *refusalRig) later() { x.mu.Lock(); x.now = x.now.Add(2 * time.Second); x.mu.Unlock() }

func (x *refusalRig) hold(path string) {
	x.t.Helper()
	c, err := testkit.OpenHTTPStream(x.addr, path, "")
	if err != nil {
		x.t.Fatalf("%s: %v", path, err)
	}
	x.t.Cleanup(func() { c.Close() })
}

func (x *refusalRig) refused(path, want string) {
	x.t.Helper()
	if _, err := testkit.OpenHTTPStream(x.addr, path, ""); err == nil || !strings.Contains(err.Error(), want) {
		x.t.Fatalf("%s past the bound: %v, want 503 %q", path, err, want)
	}
}

// logs checks that the log holds want: the record of a refused stream is
// written before its 503 is answered (openStream), so it is there once
// refused returned.
func (x *refusalRig) logs(want string) {
	x.t.Helper()
	if !strings.Contains(x.logged.String(), want) {
		x.t.Fatalf("never logged %q:\n%s", want, x.logged.String())
	}
}
