package e2e

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/protocol"
)

// TestAdminLoad is the load test of the admin socket: many clients
// (CFK_RELIABILITY=full: 200 for 30 s; unset: 50 for 5 s), each on its
// own persistent connection, send as fast as they can a mix of `command
// status` (all, or one service), `command up|down|restart service X` over
// 20 services (`sleep 1000`, startwait_secs=0); one batch in ten is
// pipelined (2 to 4 requests in one write, then their replies).
//
// It checks that every request gets exactly one reply, within
// relReplyDeadline (past it the request is lost or cfkd deadlocked), of
// the shape its request calls for: status lines with 8 tab fields, known
// names, known states, a pid exactly when running; up/down/restart `done
// 1`, or for a restart the one expected error (a later down cancelled
// it). A last `command version` per connection, then silence, proves no
// extra reply was queued. At the end every service is accounted for: all
// 20 listed, each settled in running or stopped, each running one with a
// live pid whose environment names it, the processes of the home exactly
// those pids; after `command down all` none is left. Requests/s and the
// reply latencies are logged.
func TestAdminLoad(t *testing.T) {
	clients := relSize(200, 50)
	dur := relDuration(30*time.Second, 5*time.Second)
	const nsvc = 20
	t.Logf("sizes: %s: %d clients for %v over %d services", relMode(), clients, dur, nsvc)

	d := startDaemon(t, "")
	c := relDial(t, d)
	names := relNames("L", nsvc)
	for _, n := range names {
		c.ok("service "+n+" cmd=sleep 1000", "service "+n+" startwait_secs=0")
	}
	c.expect("command start all", fmt.Sprintf("done %d", nsvc))
	c.waitStates(deadline, names, "running")
	version := c.ok("command version")

	conns := make([]*relLoadClient, clients)
	for i := range conns {
		conn, err := net.Dial("unix", d.sock)
		if err != nil {
			t.Fatalf("client %d: %v", i, err)
		}
		t.Cleanup(func() { conn.Close() })
		conns[i] = &relLoadClient{id: i, conn: conn, r: bufio.NewReaderSize(conn, 64<<10),
			rng: rand.New(rand.NewPCG(uint64(i), 0xcf)), names: names, version: version}
	}
	var wg sync.WaitGroup
	start := time.Now()
	stop := start.Add(dur)
	for _, lc := range conns {
		wg.Add(1)
		go func() { defer wg.Done(); lc.run(stop) }()
	}
	wg.Wait()
	took := time.Since(start)
	relDaemonCheck(t, d)

	// the figures, then the failures
	var all []time.Duration
	var sent, replied, pipelined int
	verbs := map[string]*relVerbCount{}
	var failures []string
	nfail := 0
	for _, lc := range conns {
		sent += lc.sent
		replied += lc.replied
		pipelined += lc.pipelined
		all = append(all, lc.lat...)
		for v, n := range lc.verbs {
			if verbs[v] == nil {
				verbs[v] = &relVerbCount{}
			}
			verbs[v].ok += n.ok
			verbs[v].expectedErr += n.expectedErr
		}
		if lc.sent != lc.replied {
			lc.fail("sent %d requests, got %d replies", lc.sent, lc.replied)
		}
		nfail += lc.nfail
		for _, f := range lc.failures {
			if len(failures) < 20 {
				failures = append(failures, f)
			}
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	t.Logf("%d requests (%d in pipelined batches), %d replies in %v: %.0f requests/s; latency p50 %v p99 %v max %v",
		sent, pipelined, replied, took.Round(time.Millisecond), float64(replied)/took.Seconds(),
		relPct(all, 50).Round(time.Microsecond), relPct(all, 99).Round(time.Microsecond),
		relPct(all, 100).Round(time.Microsecond))
	vs := make([]string, 0, len(verbs))
	for v, n := range verbs {
		vs = append(vs, fmt.Sprintf("%s: %d OK, %d expected errors", v, n.ok, n.expectedErr))
	}
	sort.Strings(vs)
	t.Logf("by request: %s", strings.Join(vs, "; "))
	if nfail > 0 {
		t.Errorf("%d failures, the first %d:\n%s", nfail, len(failures), strings.Join(failures, "\n"))
	}
	if min := clients * 5; replied < min {
		t.Errorf("only %d replies from %d clients: the load did not run", replied, clients)
	}

	// every service accounted for, once the last restarts have settled
	var st map[string]relStatus
	c.waitFor(deadline, "every service settled in running or stopped", func() (bool, string) {
		st = c.statuses()
		if len(st) != nsvc {
			return false, fmt.Sprintf("%d services listed, want %d", len(st), nsvc)
		}
		for _, n := range names {
			s, ok := st[n]
			if !ok {
				return false, n + " not listed"
			}
			if (s.state != "running" && s.state != "stopped") || !relConsistent(s) {
				return false, s.line
			}
		}
		return true, ""
	})
	running := map[int]string{}
	for _, n := range names {
		s := st[n]
		if s.state != "running" {
			continue
		}
		running[s.pid] = n
		if !relAlive(s.pid) || !relEnvHas(s.pid, "CONTROL_FREAK_SERVICE="+n) {
			t.Errorf("%s is running as pid %d, which is not its process:\n%s", n, s.pid, relPidEvidence(d, s.pid))
		}
	}
	c.waitFor(deadline, "the processes of the home to be those of the running services", func() (bool, string) {
		procs := relOwnProcs(d)
		var extra []int
		for _, p := range procs {
			if running[p] == "" {
				extra = append(extra, p)
			}
		}
		return len(procs) == len(running) && len(extra) == 0,
			fmt.Sprintf("processes %v, running services %v, not a service's %v", procs, running, extra)
	})
	t.Logf("at the end: %d of %d services running, every one with its own live process", len(running), nsvc)

	c.expect("command down all", fmt.Sprintf("done %d", len(running))) // the stopped ones are not counted (§1.4)
	c.waitStates(deadline, names, "stopped")
	c.waitFor(deadline, "no process of the home left after down all", func() (bool, string) {
		left := relOwnProcs(d)
		return len(left) == 0, fmt.Sprint(left)
	})
	c.waitFor(deadline, "no zombie child of cfkd", func() (bool, string) {
		z := relZombies(d.cmd.Process.Pid)
		return len(z) == 0, fmt.Sprint(z)
	})
}

type relVerbCount struct{ ok, expectedErr int }

// relLoadClient is one client of TestAdminLoad. Its fields are its own
// goroutine's until run returns.
type relLoadClient struct {
	id      int
	conn    net.Conn
	r       *bufio.Reader
	rng     *rand.Rand
	names   []string
	version []string

	sent, replied, pipelined int
	lat                      []time.Duration
	verbs                    map[string]*relVerbCount
	nfail                    int
	failures                 []string // the first few
}

func (lc *relLoadClient) fail(format string, args ...any) {
	lc.nfail++
	if len(lc.failures) < 5 {
		lc.failures = append(lc.failures, fmt.Sprintf("client %d: ", lc.id)+fmt.Sprintf(format, args...))
	}
}

// pick chooses the next request: status of all 30%, of one service 10%,
// up, down and restart of one service 20% each.
func (lc *relLoadClient) pick() string {
	name := lc.names[lc.rng.IntN(len(lc.names))]
	switch n := lc.rng.IntN(10); {
	case n < 3:
		return "command status"
	case n < 4:
		return "command status service " + name
	case n < 6:
		return "command up service " + name
	case n < 8:
		return "command down service " + name
	default:
		return "command restart service " + name
	}
}

// run sends batches until stop, then the closing `command version`. It
// stops at the first lost reply (the connection is out of step after it).
func (lc *relLoadClient) run(stop time.Time) {
	lc.verbs = map[string]*relVerbCount{}
	var buf []byte
	for time.Now().Before(stop) {
		batch := 1
		if lc.rng.IntN(10) == 0 {
			batch = 2 + lc.rng.IntN(3)
		}
		reqs := make([]string, batch)
		buf = buf[:0]
		for k := range reqs {
			reqs[k] = lc.pick()
			buf = append(buf, reqs[k]...)
			buf = append(buf, "\r\n"...)
		}
		lc.conn.SetDeadline(time.Now().Add(relReplyDeadline))
		t0 := time.Now()
		if _, err := lc.conn.Write(buf); err != nil {
			lc.fail("write %q: %v", reqs, err)
			return
		}
		lc.sent += batch
		if batch > 1 {
			lc.pipelined += batch
		}
		for k, req := range reqs {
			rep, err := protocol.ReadReply(lc.r)
			if err != nil {
				lc.fail("request %q (%d of a batch of %d): no reply within %v: %v", req, k+1, batch, relReplyDeadline, err)
				return
			}
			lc.replied++
			lc.lat = append(lc.lat, time.Since(t0))
			lc.check(req, rep)
		}
	}
	// exactly one reply per request: the next reply is the version's,
	// and nothing follows it
	lc.conn.SetDeadline(time.Now().Add(relReplyDeadline))
	if err := protocol.WriteRequest(lc.conn, "command version"); err != nil {
		lc.fail("closing version: %v", err)
		return
	}
	rep, err := protocol.ReadReply(lc.r)
	if err != nil || rep.Err != nil || strings.Join(rep.Lines, "\n") != strings.Join(lc.version, "\n") {
		lc.fail("closing version: got %q, %v, %v: a reply was left over", rep.Lines, rep.Err, err)
		return
	}
	lc.conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if n, err := lc.r.Peek(1); !errors.Is(err, os.ErrDeadlineExceeded) {
		lc.fail("after the closing version: %q, %v: more bytes than replies", n, err)
	}
}

// check matches a reply with its request.
func (lc *relLoadClient) check(req string, rep messages.Reply) {
	f := strings.Fields(req)
	verb := f[1]
	if verb == "status" && len(f) > 2 {
		verb = "status service"
	}
	n := lc.verbs[verb]
	if n == nil {
		n = &relVerbCount{}
		lc.verbs[verb] = n
	}
	switch verb {
	case "status", "status service":
		if rep.Err != nil {
			lc.fail("%q: %v", req, rep.Err)
			return
		}
		want := len(lc.names)
		if len(f) > 2 {
			want = 1
		}
		if len(rep.Lines) != want {
			lc.fail("%q: %d lines, want %d: %q", req, len(rep.Lines), want, rep.Lines)
			return
		}
		seen := map[string]bool{}
		for _, l := range rep.Lines {
			if why := relBadStatusLine(l, lc.names); why != "" {
				lc.fail("%q: %s: %q", req, why, l)
				return
			}
			name, _, _ := strings.Cut(l, "\t")
			if seen[name] || (len(f) > 2 && name != f[3]) {
				lc.fail("%q: unexpected or repeated %s in %q", req, name, rep.Lines)
				return
			}
			seen[name] = true
		}
		n.ok++
	default: // up, down, restart of one service
		name := f[3]
		switch {
		case rep.Err == nil && len(rep.Lines) == 1 && rep.Lines[0] == "done 1":
			n.ok++
		case rep.Err == nil && len(rep.Lines) == 1 && rep.Lines[0] == "done 0" && verb != "restart":
			n.ok++ // an up of a service up, a down of one down: not counted (REFERENCE §1.4)
		case rep.Err != nil && verb == "restart" && rep.Err.Error() == "Service '"+name+"': restart cancelled by a stop":
			n.expectedErr++
		default:
			lc.fail("%q: reply %q, error %v", req, rep.Lines, rep.Err)
		}
	}
}

// relBadStatusLine says what is wrong with a status line, "" if nothing.
func relBadStatusLine(l string, names []string) string {
	f := strings.Split(l, "\t")
	if len(f) != 8 {
		return fmt.Sprintf("%d fields, want 8", len(f))
	}
	if !relIn(f[0], names) {
		return "unknown service"
	}
	if !relIn(f[1], []string{"stopped", "starting", "running", "stopping", "fail", "fatal", "backoff"}) {
		return "unknown state"
	}
	for _, i := range []int{2, 3, 4} { // pid, start_time, stop_time
		if f[i] != "" {
			if v, err := strconv.Atoi(f[i]); err != nil || v <= 0 {
				return fmt.Sprintf("field %d is not a positive number", i+1)
			}
		}
	}
	pid := 0
	if f[2] != "" {
		pid, _ = strconv.Atoi(f[2])
	}
	if !relConsistent(relStatus{state: f[1], pid: pid}) {
		return "pid inconsistent with the state"
	}
	return ""
}
