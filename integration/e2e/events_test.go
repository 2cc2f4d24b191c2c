package e2e

import (
	"bufio"
	"fmt"
	"github.com/cfk/cfk/internal/testkit"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/protocol"
)

// `command events` and `command tail` through the real cfkd and cfkctl
// (REFERENCE §1.5, §1.6, §8.2).

// stream is a connection that became a stream, or a cfkctl printing one:
// a goroutine collects its lines.
type stream struct {
	t     *testing.T
	mu    sync.Mutex
	lines []string
	ended bool
	ch    chan struct{}  // closed and replaced on every line
	conn  net.Conn       // a raw stream
	cmd   *exec.Cmd      // a cfkctl
	err   testkit.Buffer // its stderr (written by exec's copier while read)
}

func newStream(t *testing.T, r io.Reader) *stream {
	s := &stream{t: t, ch: make(chan struct{})}
	go func() {
		br := bufio.NewReader(r)
		for {
			l, err := br.ReadString('\n')
			s.mu.Lock()
			if err != nil {
				s.ended = true
			} else {
				s.lines = append(s.lines, strings.TrimSuffix(l, "\n"))
			}
			close(s.ch)
			s.ch = make(chan struct{})
			s.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return s
}

// rawStream sends request on a connection of its own, which becomes a stream.
func (d *daemon) rawStream(request string) *stream {
	d.t.Helper()
	c, err := net.Dial("unix", d.sock)
	if err != nil {
		d.t.Fatal(err)
	}
	d.t.Cleanup(func() { c.Close() })
	if err := protocol.WriteRequest(c, request); err != nil {
		d.t.Fatal(err)
	}
	s := newStream(d.t.(*testing.T), c)
	s.conn = c
	return s
}

// ctlStream runs cfkctl args in the background; its stdout is the stream.
func (d *daemon) ctlStream(args ...string) *stream {
	d.t.Helper()
	cmd := exec.Command(cfkctlBin, append([]string{"--address", "unix:" + d.sock}, args...)...)
	cmd.Env = childEnv()
	out, err := cmd.StdoutPipe()
	if err != nil {
		d.t.Fatal(err)
	}
	s := newStream(d.t.(*testing.T), out)
	s.cmd = cmd
	cmd.Stderr = &s.err
	if err := cmd.Start(); err != nil {
		d.t.Fatal(err)
	}
	d.t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return s
}

// waitFor waits until cond holds of the lines so far (or fails at the
// deadline, or when the stream ends first).
func (s *stream) waitFor(what string, cond func(lines []string) bool) []string {
	s.t.Helper()
	timeout := time.After(deadline)
	for {
		s.mu.Lock()
		lines, ended, ch := append([]string(nil), s.lines...), s.ended, s.ch
		s.mu.Unlock()
		if cond(lines) {
			return lines
		}
		if ended {
			s.t.Fatalf("the stream ended before %s: %q %s", what, lines, s.err.String())
		}
		select {
		case <-ch:
		case <-timeout:
			s.t.Fatalf("timed out waiting for %s: %q", what, lines)
		}
	}
}

// waitEnd waits until the stream ends and returns its lines.
func (s *stream) waitEnd() []string {
	s.t.Helper()
	timeout := time.After(deadline)
	for {
		s.mu.Lock()
		lines, ended, ch := append([]string(nil), s.lines...), s.ended, s.ch
		s.mu.Unlock()
		if ended {
			return lines
		}
		select {
		case <-ch:
		case <-timeout:
			s.t.Fatalf("the stream did not end: %q", lines)
		}
	}
}

// events parses the lines as event lines, leaving out those of skip.
func events(t *testing.T, lines []string, skip string) []messages.Event {
	t.Helper()
	var out []messages.Event
	for _, l := range lines {
		e, err := messages.ParseEvent(l)
		if err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		if e.Service != skip || e.Kind != messages.EventService {
			out = append(out, e)
		}
	}
	return out
}

// hasService says whether lines hold n lines about service name, as
// event lines or as cfkctl's human lines.
func hasService(name string, n int) func([]string) bool {
	return func(lines []string) bool {
		k := 0
		for _, l := range lines {
			if strings.Contains(l, `"service":"`+name+`"`) || strings.Contains(l, " "+name+" ") {
				k++
			}
		}
		return k >= n
	}
}

// syncStreams makes sure every stream is subscribed: cfkd sends no
// acknowledgement, so the probe service (selected by every stream) is
// started and stopped until each stream shows it.
func syncStreams(c *client, probe string, streams ...*stream) {
	c.t.Helper()
	c.ok("service "+probe+" cmd=sleep 100", "service "+probe+" tags=web", "service "+probe+" startwait_secs=0")
	for i := 1; ; i++ {
		c.ok("command start service " + probe)
		c.until(probe+" up", func() bool { return c.status(probe)[1] == "running" })
		c.ok("command stop service " + probe)
		c.until(probe+" down", func() bool { return c.status(probe)[1] == "stopped" })
		all := true
		for _, s := range streams {
			s.mu.Lock()
			all = all && hasService(probe, 1)(s.lines)
			s.mu.Unlock()
		}
		if all {
			return
		}
		if i == 50 {
			c.t.Fatal("the streams never showed the probe service")
		}
	}
}

// TestEventsOrderAndFilter: the transitions of services reach a raw
// `command events` in order, with their pids and the fail reason; `cfkctl
// events @web` gets only the services tagged web; cfkctl prints human
// lines.
func TestEventsOrderAndFilter(t *testing.T) {
	d := startDaemon(t, "")
	c := d.dial()
	all := d.rawStream("command events")
	web := d.ctlStream("--json", "events", "@web")
	human := d.ctlStream("events", "@web")
	syncStreams(c, "probe", all, web, human)

	c.ok("service a cmd=sleep 100", "service a tags=web,prod", "service a startwait_secs=0.1",
		`service b cmd=sleep 0.3; exit 3`, "service b startwait_secs=0.1", "service b respawn_on_fail=0")
	c.ok("command start service a", "command start service b")
	c.until("b failed", func() bool { return c.status("b")[1] == "fail" })
	c.until("a running", func() bool { return c.status("a")[1] == "running" })
	pid1 := c.status("a")[2]
	c.ok("command restart service a")
	c.until("a running again", func() bool { return c.status("a")[1] == "running" })
	pid2 := c.status("a")[2]

	want := map[string][]string{
		"a": {"stopped→starting " + pid1, "starting→running " + pid1, "running→stopping " + pid1,
			"stopping→stopped " + pid1, "stopped→starting " + pid2, "starting→running " + pid2},
		"b": {"stopped→starting", "starting→running", "running→fail Exited with error 3"},
	}
	show := func(es []messages.Event) map[string][]string {
		got := map[string][]string{}
		for _, e := range es {
			if e.Kind != messages.EventService {
				continue // cfkd's own errors (child terminated abnormally) come too
			}
			s := e.From + "→" + e.To
			if e.Reason != "" {
				s += " " + e.Reason
			} else if e.Service == "a" {
				s += " " + fmt.Sprint(e.Pid)
			}
			got[e.Service] = append(got[e.Service], s)
		}
		return got
	}
	lines := all.waitFor("a's and b's transitions", func(l []string) bool { return hasService("a", 6)(l) && hasService("b", 3)(l) })
	if got := show(events(t, lines, "probe")); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("the stream of all:\n%v\nwant\n%v\n%s", got, want, strings.Join(lines, "\n"))
	}
	lines = web.waitFor("a's transitions", hasService("a", 6))
	if got := show(events(t, lines, "probe")); fmt.Sprint(got) != fmt.Sprint(map[string][]string{"a": want["a"]}) {
		t.Fatalf("cfkctl --json events @web:\n%v\n%s", got, strings.Join(lines, "\n"))
	}
	hl := human.waitFor("a's transitions", func(l []string) bool {
		return len(l) > 0 && strings.HasSuffix(l[len(l)-1], " a starting → running (pid "+pid2+")")
	})
	for _, l := range hl {
		if strings.Contains(l, " b ") {
			t.Fatalf("cfkctl events @web printed b: %q", hl)
		}
	}
}

// TestEventsSlowSubscriber: a client of `command events` that does not
// read is cut off after its backlog with the count of what it lost, while
// another stream gets every event and `command status` stays fast.
func TestEventsSlowSubscriber(t *testing.T) {
	d := startDaemon(t, "")
	c := d.dial()
	slow, err := net.Dial("unix", d.sock)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	if err := protocol.WriteRequest(slow, "command events"); err != nil {
		t.Fatal(err)
	}
	fast := d.rawStream("command events")
	syncStreams(c, "probe", fast)

	// socket binds and closes: cheap events, 2 per round
	c.ok("socket s host=127.0.0.1", "socket s service=0")
	const rounds = 8000
	ctl, err := net.Dial("unix", d.sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ctl.Close()
	go func() {
		w := bufio.NewWriter(ctl)
		for i := 0; i < rounds; i++ {
			fmt.Fprint(w, "command bind s\r\ncommand unbind s\r\n")
		}
		w.Flush()
	}()
	replies := make(chan error, 1)
	go func() {
		r := bufio.NewReader(ctl)
		for i := 0; i < 2*rounds; i++ {
			rep, err := protocol.ReadReply(r)
			if err == nil {
				err = rep.Err
			}
			if err != nil {
				replies <- fmt.Errorf("reply %d: %w", i, err)
				return
			}
		}
		replies <- nil
	}()
	var worst time.Duration
	for done := false; !done; {
		select {
		case err := <-replies:
			if err != nil {
				t.Fatal(err)
			}
			done = true
		default:
			start := time.Now()
			c.ok("command status")
			worst = max(worst, time.Since(start))
			time.Sleep(5 * time.Millisecond) // a paced prober
		}
	}
	limit := 500 * time.Millisecond
	if raceEnabled {
		limit = 2 * time.Second
	}
	if worst > limit {
		t.Errorf("command status took up to %v while a subscriber did not read", worst)
	}
	n := func(l []string) int {
		k := 0
		for _, x := range l {
			if strings.Contains(x, `"socket":"s"`) {
				k++
			}
		}
		return k
	}
	fast.waitFor("every socket event", func(l []string) bool { return n(l) >= 2*rounds })
	// the slow one now reads: its lines, then the loss line, then the end
	slow.SetDeadline(time.Now().Add(deadline))
	data, err := io.ReadAll(slow)
	if err != nil {
		t.Fatalf("reading the slow stream: %v (%d bytes)", err, len(data))
	}
	lines := strings.SplitAfter(string(data), "\n")
	last := lines[len(lines)-2]
	e, err := messages.ParseEvent(strings.TrimSuffix(last, "\r\n"))
	if !strings.HasSuffix(last, "\r\n") || err != nil || e.Kind != messages.EventLost {
		t.Fatalf("the slow stream ends with %q (%v)", last, err)
	}
	got := n(lines)
	if got+e.Lost > 2*rounds+20 || got < 1000 {
		t.Fatalf("the slow stream got %d socket events and lost %d, of %d", got, e.Lost, 2*rounds)
	}
	t.Logf("slow subscriber: %d lines, then lost %d; fast one: all %d; status at worst %v", len(lines)-2, e.Lost, 2*rounds, worst)
}

// TestTail: `cfkctl tail` prints the last lines of a service, stdout and
// stderr, within its ring's bound; `tail -f` follows the new ones and ends
// when the service is destroyed.
func TestTail(t *testing.T) {
	d := startDaemon(t, "")
	c := d.dial()
	c.ok(`service chat cmd=i=0; while [ $i -lt 2000 ]; do printf 'line%04d %0100d\n' $i 0; i=$((i+1)); done; echo bye; exec sleep 100`,
		`service oops cmd=echo to-stderr >&2; exec sleep 100`,
		`service ticker cmd=trap 'echo hup' HUP; echo ready; while :; do sleep 100 & wait $!; done`)
	c.ok("command start service chat", "command start service oops", "command start service ticker")
	last := func(name string) func() bool {
		return func() bool { l := c.ok("command tail " + name + " 1"); return len(l) == 1 && l[0] != "" }
	}
	c.until("chat's last line", func() bool { l := c.ok("command tail chat 1"); return len(l) == 1 && l[0] == "bye" })
	lines := c.ok("command tail chat 100000")
	size := 0
	for i, l := range lines {
		size += 2 + len(l)
		if i < len(lines)-1 && l != fmt.Sprintf("line%04d %0100d", 2000-len(lines)+1+i, 0) {
			t.Fatalf("line %d of %d: %q", i, len(lines), l)
		}
	}
	if size > 64<<10 || size < 60<<10 {
		t.Fatalf("the ring holds %d lines, %d bytes: want its bound, 64 KiB", len(lines), size)
	}
	want := fmt.Sprintf("line1998 %0100d\nline1999 %0100d\nbye\n", 0, 0)
	if out := d.ctlOK("", "tail", "-n", "3", "chat"); out != want {
		t.Fatalf("cfkctl tail -n 3 chat: %q", out)
	}
	c.until("oops wrote", last("oops"))
	if out := d.ctlOK("", "tail", "oops"); out != "to-stderr\n" {
		t.Fatalf("cfkctl tail oops: %q", out)
	}
	if _, errs, code := d.ctl("", "tail", "nosuch"); code != 1 || errs != "Couldn't find a valid service. bailing.\n" {
		t.Fatalf("cfkctl tail nosuch: %d %q", code, errs)
	}

	c.until("ticker ready", last("ticker"))
	f := d.ctlStream("tail", "-f", "-n", "1", "ticker")
	f.waitFor("the last line", func(l []string) bool { return len(l) == 1 && l[0] == "ready" })
	hups := func(l []string) int { // sh may also say its sleep was hung up
		n := 0
		for _, x := range l {
			if x == "hup" {
				n++
			}
		}
		return n
	}
	for i := 1; i <= 2; i++ {
		d.ctlOK("", "signal", "HUP", "ticker")
		f.waitFor("a new line", func(l []string) bool { return hups(l) == i })
	}
	c.ok("command destroy service ticker")
	if got := f.waitEnd(); hups(got) != 2 {
		t.Fatalf("tail -f of a destroyed service: %q", got)
	}
	if err := f.cmd.Wait(); err != nil {
		t.Fatalf("cfkctl tail -f ended with %v: %s", err, f.err.String())
	}
}

// TestTailProxied: a proxied service's lines come through its proxy.
func TestTailProxied(t *testing.T) {
	proxy := needProxy(t)
	d := startDaemon(t, "")
	c := d.dial()
	c.ok("proxy p cmd="+proxy, `proxy p service ps cmd=echo hello from the proxy; exec sleep 100`)
	c.ok("command start service ps")
	c.until("ps's line", func() bool { l := c.ok("command tail ps"); return len(l) == 1 && l[0] == "hello from the proxy" })
}

// cpuNS is the CPU time of every thread of a process, in nanoseconds,
// and the number of times its threads ran (schedstat: finer than the
// clock ticks of /proc/PID/stat).
func cpuNS(t *testing.T, pid int) (ns, runs int64) {
	t.Helper()
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	if err != nil || len(tasks) == 0 {
		t.Skipf("no schedstat: %v", err)
	}
	for _, f := range tasks {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // a thread that ended
		}
		var n, wait, k int64
		fmt.Sscan(string(b), &n, &wait, &k)
		ns, runs = ns+n, runs+k
	}
	return ns, runs
}

// TestIdleWithStreams: an events stream and a tail follower open on an
// idle cfkd cost no CPU: nothing polls, nothing ticks. Windows of 1 s are
// measured until one is idle (cfkd trims its memory 5 s after the last
// start, once): a polling loop would keep every window busy.
func TestIdleWithStreams(t *testing.T) {
	d := startDaemon(t, "")
	c := d.dial()
	c.ok(`service s cmd=echo hi; exec sleep 100`, "service s startwait_secs=0", "socket k host=127.0.0.1", "socket k service=0")
	c.ok("command start service s")
	c.until("s wrote", func() bool { return len(c.ok("command tail s")) == 1 })
	ev := d.rawStream("command events")
	for i := 0; ; i++ { // subscribed once a bind shows
		c.ok("command bind k", "command unbind k")
		if i == 100 {
			t.Fatal("the events stream shows no bind")
		}
		ev.mu.Lock()
		n := len(ev.lines)
		ev.mu.Unlock()
		if n > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	tl := d.rawStream("command tail s follow")
	tl.waitFor("the last line", func(l []string) bool { return len(l) == 1 && l[0] == "hi" })
	c.conn.Close()
	limit := int64(2 * time.Millisecond)
	if raceEnabled {
		limit = int64(20 * time.Millisecond)
	}
	var used []string
	for end := time.Now().Add(deadline); time.Now().Before(end); {
		ns0, runs0 := cpuNS(t, d.cmd.Process.Pid)
		time.Sleep(time.Second) // the measurement window
		ns1, runs1 := cpuNS(t, d.cmd.Process.Pid)
		used = append(used, fmt.Sprintf("%v in %d runs", time.Duration(ns1-ns0), runs1-runs0))
		if ns1-ns0 <= limit && runs1-runs0 <= 10 { // a 10 ms poll would run 100 times
			t.Logf("cfkd idle with two streams open, CPU per 1 s window: %v", used)
			return
		}
	}
	t.Fatalf("cfkd never idle with two streams open: CPU per 1 s window %v (want one at most %v in 10 runs)", used, time.Duration(limit))
}
