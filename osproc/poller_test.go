package osproc

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// testPoller returns a poller of its own (not the launcher's), and its
// stop, also called at the end of the test.
func testPoller(t *testing.T) (*poller, func()) {
	t.Helper()
	log := logrus.New()
	log.SetOutput(io.Discard)
	p, err := newPoller(log)
	if err != nil {
		t.Fatal(err)
	}
	stop := sync.OnceFunc(p.stop)
	t.Cleanup(stop)
	return p, stop
}

// rawPipe returns a read end as Launch makes it (a raw non-blocking fd)
// and a blocking write end, closed at the end of the test.
func rawPipe(t *testing.T) (r int, w *os.File) {
	t.Helper()
	r, wfd, err := outputPipe(true)
	if err != nil {
		t.Fatal(err)
	}
	w = os.NewFile(uintptr(wfd), "w")
	t.Cleanup(func() { w.Close() })
	return r, w
}

// collector gathers the lines of one stream; done is closed once want
// lines arrived.
type collector struct {
	mu    sync.Mutex
	lines []string
	want  int
	done  chan struct{}
}

func newCollector(want int) *collector {
	c := &collector{want: want, done: make(chan struct{})}
	if want == 0 {
		close(c.done)
	}
	return c
}

func (c *collector) emit(line []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lines = append(c.lines, string(line))
	if len(c.lines) == c.want {
		close(c.done)
	}
}

func (c *collector) get() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.lines)
}

func (c *collector) wait(t *testing.T, what string) {
	t.Helper()
	select {
	case <-c.done:
	case <-time.After(deadline):
		t.Fatalf("%s: %d lines of %d after %v", what, len(c.get()), c.want, deadline)
	}
}

// registered is the number of pipes the poller holds.
func (p *poller) registered() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.pipes)
}

// 300 pipes written at once in random chunks: every line of each arrives
// exactly once and in order, and every pipe is closed at EOF.
func TestPollerManyPipes(t *testing.T) {
	const pipes, lines = 300, 200
	p, _ := testPoller(t)
	rng := rand.New(rand.NewPCG(3, 4))
	cols := make([]*collector, pipes)
	datas := make([]string, pipes)
	cutss := make([][]int, pipes)
	for i := range pipes {
		var b strings.Builder
		for j := range lines {
			fmt.Fprintf(&b, "pipe %d line %d %s", i, j, strings.Repeat("x", rng.IntN(300)))
			if rng.IntN(5) == 0 {
				b.WriteString("\r")
			}
			b.WriteString("\n")
		}
		if i%10 == 0 { // a long line cut in pieces, and a last one without "\n"
			b.WriteString(strings.Repeat("y", 2*MaxLine+5) + "\nno newline")
		}
		datas[i] = b.String()
		for c := rng.IntN(2000); c < len(datas[i]); c += 1 + rng.IntN(2000) {
			cutss[i] = append(cutss[i], c)
		}
		cols[i] = newCollector(len(refLines(datas[i], MaxLine)))
	}
	var wg sync.WaitGroup
	for i := range pipes {
		r, w := rawPipe(t)
		if err := p.add(r, cols[i].emit); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			defer w.Close()
			for _, c := range chunk(datas[i], cutss[i]...) {
				if _, err := w.Write(c); err != nil {
					t.Errorf("pipe %d: %v", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	for i, c := range cols {
		c.wait(t, fmt.Sprint("pipe ", i))
		if got, want := c.get(), refLines(datas[i], MaxLine); !slices.Equal(got, want) {
			t.Fatalf("pipe %d: %d lines, want %d; first difference at %d", i, len(got), len(want), firstDiff(got, want))
		}
	}
	eventually(t, "every pipe is closed", func() (bool, string) {
		n := p.registered()
		return n == 0, fmt.Sprint(n, " pipes left")
	})
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// The same through Launch: 300 children writing on stdout and stderr.
func TestManyChildrenOutput(t *testing.T) {
	const children, lines = 300, 100
	type streams struct{ out, err *collector }
	all := make([]streams, children)
	for i := range children {
		s := streams{newCollector(lines), newCollector(lines)}
		all[i] = s
		start(t, Spec{
			Argv:   sh(fmt.Sprintf("i=0; while [ $i -lt %d ]; do echo %d out $i; echo %d err $i >&2; i=$((i+1)); done", lines, i, i)),
			Stdout: func(_ int, l []byte) { s.out.emit(l) },
			Stderr: func(_ int, l []byte) { s.err.emit(l) },
		})
	}
	for i, s := range all {
		for _, st := range []struct {
			name string
			c    *collector
		}{{"out", s.out}, {"err", s.err}} {
			st.c.wait(t, fmt.Sprintf("child %d std%s", i, st.name))
			var want []string
			for j := range lines {
				want = append(want, fmt.Sprintf("%d %s %d", i, st.name, j))
			}
			if got := st.c.get(); !slices.Equal(got, want) {
				t.Fatalf("child %d std%s: %q, want %q", i, st.name, got, want)
			}
		}
	}
}

// slowCount counts lines, slower than a writer can write them: a pipe
// that floods it stays full, never empty, so a poller that read a pipe
// until it is empty would never leave it.
func slowCount(n *atomic.Int64) func(int, []byte) {
	return func(int, []byte) {
		if n.Add(1)%1000 == 0 {
			time.Sleep(time.Millisecond)
		}
	}
}

// A child flooding its stdout does not starve another one: the slow
// child's line arrives while the flood goes on.
func TestFloodDoesNotStarve(t *testing.T) {
	var flood atomic.Int64
	yes := start(t, Spec{Argv: []string{"yes", "flood"}, Stdout: slowCount(&flood)})
	eventually(t, "the flood has begun", func() (bool, string) {
		return flood.Load() > 10000, fmt.Sprint(flood.Load(), " lines")
	})
	slow := make(chan int64, 1)
	c := start(t, Spec{
		Argv:   sh("sleep 0.2; echo slow; sleep 0.2; echo slower"),
		Stdout: func(int, []byte) { slow <- flood.Load() },
	})
	var seen []int64
	for range 2 {
		select {
		case n := <-slow:
			seen = append(seen, n)
		case <-time.After(deadline):
			t.Fatalf("the slow child's lines did not arrive during the flood (seen %d of them)", len(seen))
		}
	}
	c.wait(t)
	if seen[1] <= seen[0] {
		t.Errorf("the flood stopped while the slow child wrote: %d lines before its first, %d before its second", seen[0], seen[1])
	}
	if err := launcher.Signal(yes.Process, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	yes.wait(t)
	t.Logf("%d flood lines before the slow lines, %d before the slower", seen[0], seen[1])
}

// The same at the poller: one pipe kept full, another written to now and
// then.
func TestPollerFloodDoesNotStarve(t *testing.T) {
	p, _ := testPoller(t)
	fr, fw := rawPipe(t)
	var flood atomic.Int64
	if err := p.add(fr, func(l []byte) { slowCount(&flood)(0, l) }); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	flooding := make(chan struct{})
	go func() {
		defer close(flooding)
		block := []byte(strings.Repeat("f\n", 32<<10))
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := fw.Write(block); err != nil {
				return
			}
		}
	}()
	defer func() { close(stop); <-flooding }()
	sr, sw := rawPipe(t)
	got := make(chan string, 10)
	if err := p.add(sr, func(l []byte) { got <- string(l) }); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		time.Sleep(20 * time.Millisecond)
		before := flood.Load()
		if _, err := fmt.Fprintf(sw, "slow %d\n", i); err != nil {
			t.Fatal(err)
		}
		select {
		case l := <-got:
			if l != fmt.Sprint("slow ", i) {
				t.Fatalf("got %q", l)
			}
		case <-time.After(deadline):
			t.Fatalf("slow line %d did not arrive during the flood", i)
		}
		if flood.Load() == before && i > 0 {
			t.Logf("no flood line read meanwhile (line %d)", i)
		}
	}
	if flood.Load() == 0 {
		t.Error("no flood line at all")
	}
}

// At EOF the last line without "\n" is emitted, also when the writer is
// gone before the poller reads (EPOLLHUP with data).
func TestPollerEOF(t *testing.T) {
	long := strings.Repeat("z", MaxLine+10)
	for _, tc := range []struct {
		name, data string
	}{
		{"partial line", "a\nb\r\nlast"},
		{"partial cr", "a\nlast\r"},
		{"long partial line", "a\n" + long},
		{"only a partial line", "x"},
		{"nothing", ""},
		{"complete lines", "a\n\nb\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := refLines(tc.data, MaxLine)
			for _, before := range []bool{false, true} {
				p, _ := testPoller(t)
				r, w := rawPipe(t)
				c := newCollector(len(want))
				if before { // written and closed before the poller sees it
					w.WriteString(tc.data)
					w.Close()
				}
				if err := p.add(r, c.emit); err != nil {
					t.Fatal(err)
				}
				if !before {
					for _, b := range chunk(tc.data, len(tc.data)/2) {
						w.Write(b)
						time.Sleep(5 * time.Millisecond)
					}
					w.Close()
				}
				c.wait(t, tc.name)
				eventually(t, "the pipe is closed", func() (bool, string) {
					return p.registered() == 0, ""
				})
				if got := c.get(); !slices.Equal(got, want) {
					t.Errorf("written before add %v: %q, want %q", before, got, want)
				}
			}
		})
	}
}

// Short-lived children one after the other (and a few at once) reuse the
// fd numbers of the pipes of those before: no line ever goes to another
// child, none is lost, and no fd is left open.
func TestFdReuse(t *testing.T) {
	const n, workers = 1000, 4
	fdsBefore := len(openFds(t))
	type result struct {
		mu    sync.Mutex
		pid   int
		lines []string
		wrong []string // lines with another pid or from another stream
	}
	results := make([]*result, n)
	var total atomic.Int64
	all := make(chan struct{})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				res := &result{}
				results[i] = res
				var ready sync.WaitGroup // the pid is known before checking lines
				ready.Add(1)
				record := func(stream string) func(int, []byte) {
					return func(pid int, l []byte) {
						ready.Wait()
						res.mu.Lock()
						defer res.mu.Unlock()
						if pid != res.pid || stream != "out" {
							res.wrong = append(res.wrong, fmt.Sprintf("%s pid %d: %s", stream, pid, l))
						}
						res.lines = append(res.lines, string(l))
						if total.Add(1) == 3*n {
							close(all)
						}
					}
				}
				p, err := launcher.Launch(Spec{
					Argv:   []string{"printf", `%s-a\n%s-b\n%s-partial`, fmt.Sprint(i), fmt.Sprint(i), fmt.Sprint(i)},
					Env:    os.Environ(),
					Stdout: record("out"),
					Stderr: record("err"),
				}, func(int, syscall.WaitStatus) {})
				if err != nil {
					ready.Done()
					t.Errorf("launch %d: %v", i, err)
					return
				}
				res.mu.Lock()
				res.pid = p.Pid
				res.mu.Unlock()
				ready.Done()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	select {
	case <-all:
	case <-time.After(3 * deadline):
		t.Fatalf("%d lines of %d", total.Load(), 3*n)
	}
	time.Sleep(50 * time.Millisecond) // any extra line would come now
	for i, res := range results {
		res.mu.Lock()
		want := []string{fmt.Sprint(i, "-a"), fmt.Sprint(i, "-b"), fmt.Sprint(i, "-partial")}
		if !slices.Equal(res.lines, want) || len(res.wrong) > 0 {
			t.Errorf("child %d (pid %d): lines %q, want %q; wrong: %q", i, res.pid, res.lines, want, res.wrong)
		}
		res.mu.Unlock()
	}
	eventually(t, "the pipes are closed", func() (bool, string) {
		n := len(openFds(t))
		return n <= fdsBefore, fmt.Sprintf("%d fds open, %d before", n, fdsBefore)
	})
}

// stop with pipes still open: their partial lines are emitted, they are
// closed, the goroutine ends, and later pipes are refused.
func TestPollerStop(t *testing.T) {
	before := runtime.NumGoroutine()
	p, stop := testPoller(t)
	const pipes = 50
	cols := make([]*collector, pipes)
	ws := make([]*os.File, pipes)
	for i := range pipes {
		r, w := rawPipe(t)
		cols[i] = newCollector(1)
		ws[i] = w
		if err := p.add(r, cols[i].emit); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(w, "line %d\npartial %d", i, i)
	}
	for i, c := range cols {
		c.wait(t, fmt.Sprint("pipe ", i))
		c.mu.Lock()
		c.want = 2
		c.done = make(chan struct{})
		c.mu.Unlock()
	}
	stopWithin(t, stop)
	for i, c := range cols {
		if got, want := c.get(), []string{fmt.Sprint("line ", i), fmt.Sprint("partial ", i)}; !slices.Equal(got, want) {
			t.Errorf("pipe %d: %q, want %q", i, got, want)
		}
		if _, err := unix.Write(int(ws[i].Fd()), []byte("more\n")); !errors.Is(err, unix.EPIPE) {
			t.Errorf("pipe %d: a write after stop: %v, want EPIPE (the read end is closed)", i, err)
		}
	}
	if n := p.registered(); n != 0 {
		t.Errorf("%d pipes still registered", n)
	}
	r, w := rawPipe(t)
	if err := p.add(r, func([]byte) { t.Error("a line after stop") }); !errors.Is(err, errStopped) {
		t.Errorf("add after stop: %v, want errStopped", err)
	}
	if _, err := unix.Write(int(w.Fd()), []byte("x\n")); !errors.Is(err, unix.EPIPE) {
		t.Errorf("a write to a pipe added after stop: %v, want EPIPE", err)
	}
	eventually(t, "the poller goroutine is gone", func() (bool, string) {
		n := runtime.NumGoroutine()
		return n <= before, fmt.Sprintf("%d goroutines, %d before", n, before)
	})
}

// The goroutines of the process do not grow with the number of children
// whose output is captured.
func TestGoroutinesIndependentOfChildren(t *testing.T) {
	const n = 200
	runtime.GC()
	before := runtime.NumGoroutine()
	for range n {
		start(t, Spec{
			Argv:   []string{"sleep", "100"},
			Stdout: func(int, []byte) {},
			Stderr: func(int, []byte) {},
		})
	}
	after := runtime.NumGoroutine()
	if after-before >= 10 {
		t.Errorf("%d goroutines before starting %d children with captured output, %d after", before, n, after)
	}
	if got := launcher.out.registered(); got < 2*n {
		t.Errorf("%d pipes in the poller, want at least %d", got, 2*n)
	}
	t.Logf("%d goroutines before, %d after %d children", before, after, n)
}

// The poller's own fds (an epoll instance and eventfds, or a wake-up
// pipe) are close-on-exec, as every pipe end it holds.
func TestPollerFdsCloseOnExec(t *testing.T) {
	r, w, err := outputPipe(true)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFds(r, w)
	fds := launcher.out.ownFds()
	fds["pipe read end"], fds["pipe write end"] = r, w
	for name, fd := range fds {
		fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if fl&unix.FD_CLOEXEC == 0 {
			t.Errorf("%s (fd %d) is not close-on-exec", name, fd)
		}
	}
	if fl, _ := unix.FcntlInt(uintptr(r), unix.F_GETFL, 0); fl&unix.O_NONBLOCK == 0 {
		t.Error("the read end is blocking")
	}
	if fl, _ := unix.FcntlInt(uintptr(w), unix.F_GETFL, 0); fl&unix.O_NONBLOCK != 0 {
		t.Error("the write end is non-blocking")
	}
}

// stopWithin calls stop, failing the test if it does not return within
// the deadline.
func stopWithin(t *testing.T, stop func()) {
	t.Helper()
	stopped := make(chan struct{})
	go func() { stop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(deadline):
		t.Fatal("stop did not return")
	}
}
