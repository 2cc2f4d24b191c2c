package e2e

// Helpers of the reliability suite (reliability_*_test.go). Its tests are
// sized by CFK_RELIABILITY: "full" (make reliability) runs the full sizes,
// anything else the bounded sizes CI runs (each test well under 20 s on 2
// cores with -race). Every identifier here starts with rel to keep clear
// of the other files of the package.

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/protocol"
)

// relFull reports whether the full sizes were asked for.
func relFull() bool { return os.Getenv("CFK_RELIABILITY") == "full" }

// relSize is full under CFK_RELIABILITY=full, else bounded.
func relSize(full, bounded int) int {
	if relFull() {
		return full
	}
	return bounded
}

// relDuration is relSize for durations.
func relDuration(full, bounded time.Duration) time.Duration {
	if relFull() {
		return full
	}
	return bounded
}

// relMode names the sizes in use, for the logs.
func relMode() string {
	if relFull() {
		return "full (CFK_RELIABILITY=full)"
	}
	return "bounded (set CFK_RELIABILITY=full for the full sizes)"
}

// relReplyDeadline bounds the wait for any one reply: past it, the request
// is taken as lost (or cfkd as deadlocked).
const relReplyDeadline = 10 * time.Second

// relConn is an admin connection whose every request has its own
// deadline (the package's client has one deadline for its whole life,
// too short for a long test).
type relConn struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader
	sent int // requests sent
}

func relDial(t testing.TB, d *daemon) *relConn {
	t.Helper()
	c, err := net.Dial("unix", d.sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &relConn{t: t, conn: c, r: bufio.NewReaderSize(c, 64<<10)}
}

// try sends one request and reads its reply within relReplyDeadline,
// without failing the test (for goroutines).
func (c *relConn) try(line string) (messages.Reply, error) {
	c.conn.SetDeadline(time.Now().Add(relReplyDeadline))
	c.sent++
	if err := protocol.WriteRequest(c.conn, line); err != nil {
		return messages.Reply{}, err
	}
	return protocol.ReadReply(c.r)
}

// ok sends each line and fails the test on an ERROR reply or a lost one;
// it returns the body of the last reply.
func (c *relConn) ok(lines ...string) []string {
	c.t.Helper()
	var last []string
	for _, l := range lines {
		r, err := c.try(l)
		if err != nil {
			c.t.Fatalf("%q: no reply within %v: %v", l, relReplyDeadline, err)
		}
		if r.Err != nil {
			c.t.Fatalf("%q: %v", l, r.Err)
		}
		last = r.Lines
	}
	return last
}

// expect sends line and fails unless the reply is OK with exactly want.
func (c *relConn) expect(line string, want ...string) {
	c.t.Helper()
	if got := c.ok(line); strings.Join(got, "\n") != strings.Join(want, "\n") {
		c.t.Fatalf("%q: got %q, want %q", line, got, want)
	}
}

// expectDone runs a verb that acts on services and wants `done N`, N
// from 0 to most: an up of a service up, a down of one down, is not
// counted (REFERENCE §1.4), and which of them are up varies here.
func (c *relConn) expectDone(line string, most int) {
	c.t.Helper()
	got := c.ok(line)
	n, err := strconv.Atoi(strings.TrimPrefix(strings.Join(got, "\n"), "done "))
	if err != nil || !strings.HasPrefix(got[0], "done ") || n < 0 || n > most {
		c.t.Fatalf("%q: got %q, want done 0 to %d", line, got, most)
	}
}

// relStatus is one parsed status line.
type relStatus struct {
	name, state string
	pid         int // 0: none
	line        string
}

// statuses returns `command status` by service name.
func (c *relConn) statuses() map[string]relStatus {
	c.t.Helper()
	out := map[string]relStatus{}
	for _, l := range c.ok("command status") {
		f := strings.Split(l, "\t")
		if len(f) != 8 {
			c.t.Fatalf("status line with %d fields, want 8: %q", len(f), l)
		}
		pid := 0
		if f[2] != "" {
			var err error
			if pid, err = strconv.Atoi(f[2]); err != nil || pid <= 0 {
				c.t.Fatalf("status line with a bad pid: %q", l)
			}
		}
		out[f[0]] = relStatus{name: f[0], state: f[1], pid: pid, line: l}
	}
	return out
}

// relPoll is the polling period of waitFor: short, as churn tests wait
// thousands of times.
const relPoll = 2 * time.Millisecond

// waitFor polls cond (which may use the connection) until it holds, or
// fails the test after limit, saying what it waited for and why it
// still does not hold (cond's last answer).
func (c *relConn) waitFor(limit time.Duration, what string, cond func() (bool, string)) {
	c.t.Helper()
	end := time.Now().Add(limit)
	for {
		ok, why := cond()
		if ok {
			return
		}
		if time.Now().After(end) {
			c.t.Fatalf("timed out after %v waiting for %s: %s", limit, what, why)
		}
		time.Sleep(relPoll)
	}
}

// waitStates waits until every named service is in one of the states,
// with a pid when running and none when down.
func (c *relConn) waitStates(limit time.Duration, names []string, states ...string) map[string]relStatus {
	c.t.Helper()
	var st map[string]relStatus
	c.waitFor(limit, strings.Join(states, "|")+" for "+strconv.Itoa(len(names))+" services", func() (bool, string) {
		st = c.statuses()
		for _, n := range names {
			s, ok := st[n]
			if !ok {
				return false, n + " missing from status"
			}
			if !relIn(s.state, states) || !relConsistent(s) {
				return false, s.line
			}
		}
		return true, ""
	})
	return st
}

// relConsistent: a running service has a pid, a down one has none.
func relConsistent(s relStatus) bool {
	switch s.state {
	case "running":
		return s.pid != 0
	case "stopped", "fail", "fatal", "backoff":
		return s.pid == 0
	}
	return true
}

func relIn(s string, set []string) bool {
	for _, x := range set {
		if s == x {
			return true
		}
	}
	return false
}

// relNames is prefix0..prefixN-1.
func relNames(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + strconv.Itoa(i)
	}
	return out
}

// relProcStat is what /proc/PID/stat says of a process: its state letter
// and parent pid.
func relProcStat(pid int) (state byte, ppid int, ok bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 2 {
		return 0, 0, false
	}
	ppid, _ = strconv.Atoi(f[1])
	return f[0][0], ppid, true
}

// relZombies lists the children of parent that are zombies (exited, not
// reaped).
func relZombies(parent int) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, pp, ok := relProcStat(pid); ok && pp == parent && st == 'Z' {
			out = append(out, pid)
		}
	}
	return out
}

// relFds lists the open fds of pid with their targets.
func relFds(pid int) []string {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, _ := os.ReadDir(dir)
	out := make([]string, 0, len(ents))
	for _, e := range ents {
		target, _ := os.Readlink(filepath.Join(dir, e.Name()))
		out = append(out, e.Name()+" -> "+target)
	}
	return out
}

// relFdKinds summarises fds by kind (pipe, socket, anon_inode:[eventpoll],
// a path...), for the log and for a leak's evidence.
func relFdKinds(fds []string) string {
	kinds := map[string]int{}
	for _, f := range fds {
		_, target, _ := strings.Cut(f, " -> ")
		if k, _, ok := strings.Cut(target, ":["); ok {
			target = k
		}
		kinds[target]++
	}
	keys := make([]string, 0, len(kinds))
	for k := range kinds {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s×%d ", k, kinds[k])
	}
	return strings.TrimSpace(b.String())
}

// relMem is the memory of a process from /proc/PID/status, in KiB.
type relMem struct{ rss, anon, file int }

func (m relMem) String() string {
	return fmt.Sprintf("RSS %.1f MiB (anon %.1f, file %.1f)", relMiB(m.rss), relMiB(m.anon), relMiB(m.file))
}

func relMiB(kb int) float64 { return float64(kb) / 1024 }

func relMemOf(pid int) relMem {
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	var m relMem
	for _, l := range strings.Split(string(data), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		n, _ := strconv.Atoi(f[1])
		switch f[0] {
		case "VmRSS:":
			m.rss = n
		case "RssAnon:":
			m.anon = n
		case "RssFile:":
			m.file = n
		}
	}
	return m
}

// relOwnProcs lists the live processes of the daemon's home (see
// homeProcs), cfkd itself left out.
func relOwnProcs(d *daemon) []int {
	var out []int
	for _, p := range homeProcs(d.home) {
		if p != d.cmd.Process.Pid {
			out = append(out, p)
		}
	}
	return out
}

// relEnvHas reports whether the environment of pid holds kv. A process
// that has just been exec'd may show an empty environ for a moment (the
// kernel sets the new stack up after the close-on-exec pipe that tells
// the parent the exec succeeded is closed): an empty one is read again,
// up to a second, while the process lives.
func relEnvHas(pid int, kv string) bool {
	end := time.Now().Add(time.Second)
	for {
		env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		if err != nil {
			return false
		}
		if len(env) > 0 || time.Now().After(end) || !relAlive(pid) {
			return strings.Contains("\x00"+string(env), "\x00"+kv+"\x00")
		}
		time.Sleep(time.Millisecond)
	}
}

// relAlive reports whether pid is a live (not zombie) process.
func relAlive(pid int) bool {
	st, _, ok := relProcStat(pid)
	return ok && st != 'Z'
}

// relDaemonCheck fails the test if cfkd has exited.
func relDaemonCheck(t testing.TB, d *daemon) {
	t.Helper()
	select {
	case <-d.exited:
		t.Fatalf("cfkd exited: %v\n%s", d.err, d.stderr.String())
	default:
	}
}

// relPct is the p-th percentile of sorted durations.
func relPct(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p / 100)
	return sorted[i]
}
