//go:build linux && !cfkportable

package osproc

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// hotFlood is a pipe added to p, flooded by a goroutine with n numbered
// lines, whose runs are collected: every line, and whether some came
// through a hot reader. Its first runs wait until the pipe holds more than
// a grown read, so that the pipe grows, then gives a full grown read:
// it becomes hot whatever the machine's speed.
type hotFlood struct {
	fr      int
	fw      *os.File // closed once the data is written, unless open
	want    []string
	written chan error
	times   []time.Time // LineTime in each run, in order
	ends    []time.Time // when each run's callback returned

	mu     sync.Mutex
	lines  []string
	hot    int                // runs a hot reader gave
	cold   int                // runs the poller goroutine gave
	onRun  func(run []string) // in the callback, after its lines are taken (tests)
	done   chan struct{}
	closed bool
}

func newHotFlood(t *testing.T, p *poller, n int) *hotFlood {
	return newHotFloodOpen(t, p, n, false, "")
}

// newHotFloodOpen is newHotFlood whose writer stays open after the data
// when open is set, and writes last, when not empty, a line without
// "\n".
func newHotFloodOpen(t *testing.T, p *poller, n int, open bool, last string) *hotFlood {
	t.Helper()
	skipUnlessPipesGrow(t)
	fr, fw := rawPipe(t)
	data, want := numbered("flood", n)
	if last != "" {
		data += last
		want = append(want, last)
	}
	f := &hotFlood{fr: fr, fw: fw, want: want, written: make(chan error, 1), done: make(chan struct{})}
	go func() {
		_, err := fw.WriteString(data)
		if !open {
			fw.Close()
		}
		f.written <- err
	}()
	pipeFull(t, fr, "the flood fills its pipe")
	out := outputFor(nil, func(_ int, l *Lines) {
		f.mu.Lock()
		f.times = append(f.times, LineTime())
		onHot := OnHotReader()
		if onHot {
			f.hot++
		} else {
			f.cold++
		}
		waitFull := f.hot == 0 && f.cold <= 2
		before := len(f.lines)
		for line, ok := l.Next(); ok; line, ok = l.Next() {
			f.lines = append(f.lines, string(line))
		}
		run := f.lines[before:len(f.lines):len(f.lines)]
		if len(f.lines) >= len(f.want) && !f.closed {
			f.closed = true
			close(f.done)
		}
		onRun := f.onRun
		f.mu.Unlock()
		if onRun != nil {
			onRun(run)
		}
		if waitFull {
			// let the pipe fill past a grown read (it has grown by the
			// second run): the next read is full
			end := time.Now().Add(deadline)
			for time.Now().Before(end) {
				if k, err := unix.IoctlGetInt(fr, unix.TIOCINQ); err != nil || k > grownRead || f.writerDone() {
					break
				}
				time.Sleep(time.Millisecond)
			}
		}
		f.mu.Lock()
		f.ends = append(f.ends, time.Now())
		f.mu.Unlock()
	}, 1)
	if err := p.addWith(fr, out, pipeMeta{pid: 1, stream: "stdout"}, nil); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *hotFlood) writerDone() bool { return len(f.written) > 0 }

// writeLine writes one more line on the flood's pipe (left open) and
// waits until it came.
func (f *hotFlood) writeLine(t *testing.T, line string) {
	t.Helper()
	f.mu.Lock()
	f.want = append(f.want, line)
	f.done, f.closed = make(chan struct{}), false
	f.mu.Unlock()
	if _, err := f.fw.WriteString(line + "\n"); err != nil {
		t.Fatal(err)
	}
	f.wait(t)
}

func (f *hotFlood) wait(t *testing.T) {
	t.Helper()
	select {
	case <-f.done:
	case <-time.After(deadline):
		f.mu.Lock()
		defer f.mu.Unlock()
		t.Fatalf("%d lines of %d after %v", len(f.lines), len(f.want), deadline)
	}
}

func (f *hotFlood) check(t *testing.T) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if !slices.Equal(f.lines, f.want) {
		i := 0
		for i < min(len(f.lines), len(f.want)) && f.lines[i] == f.want[i] {
			i++
		}
		t.Fatalf("%d lines, want %d; first difference at %d", len(f.lines), len(f.want), i)
	}
	if f.hot == 0 {
		t.Errorf("no run came through a hot reader (%d from the poller goroutine)", f.cold)
	}
}

// hotReadersOf counts the hot readers of p running.
func hotReadersOf(p *poller) int {
	n := 0
	hots.Range(func(_, v any) bool {
		if v.(*hotReader).p == p {
			n++
		}
		return true
	})
	return n
}

// A flood goes to a hot reader: every line arrives once, in order; at EOF
// the hot reader closes the pipe and ends, and the pipe no longer counts
// as grown. A quiet pipe read meanwhile is the poller goroutine's.
func TestHotPipeFlood(t *testing.T) {
	p, _ := testPoller(t)
	f := newHotFlood(t, p, 300000) // about 3.5 MB
	qr, qw := rawPipe(t)
	quiet := newCollector(1)
	quietHot := false
	if err := p.add(qr, func(line []byte) { quietHot = OnHotReader(); quiet.emit(line) }); err != nil {
		t.Fatal(err)
	}
	if _, err := qw.WriteString("quiet\n"); err != nil {
		t.Fatal(err)
	}
	f.wait(t)
	quiet.wait(t, "the quiet pipe")
	f.check(t)
	if quietHot {
		t.Error("the quiet pipe's line came through a hot reader")
	}
	if err := <-f.written; err != nil {
		t.Fatal(err)
	}
	eventually(t, "the flood's pipe closed at EOF, its hot reader ended", func() (bool, string) {
		n, g := hotReadersOf(p), p.grown.Load()
		return p.registered() == 1 && n == 0 && g == 0, fmt.Sprintf("%d pipes, %d hot readers, %d grown", p.registered(), n, g)
	})
}

// A hot reader's callback may hold its pipe: the pipe is given back held,
// is not read until the resume, and then every line arrives once, in
// order (the resume goes to the poller goroutine).
func TestHotPipeHold(t *testing.T) {
	p, _ := testPoller(t)
	f := newHotFlood(t, p, 300000)
	resumes := make(chan func(), 1)
	var once sync.Once
	f.mu.Lock()
	f.onRun = func([]string) {
		if !OnHotReader() {
			return
		}
		once.Do(func() {
			resume, ok := HoldOutput()
			if !ok {
				t.Error("HoldOutput refused on a hot reader")
			}
			resumes <- resume
		})
	}
	f.mu.Unlock()
	var resume func()
	select {
	case resume = <-resumes:
	case <-time.After(deadline):
		t.Fatal("no hot run")
	}
	count := func() int { f.mu.Lock(); defer f.mu.Unlock(); return len(f.lines) }
	eventually(t, "the held pipe given back, not read", func() (bool, string) {
		return hotReadersOf(p) == 0, fmt.Sprintf("%d hot readers", hotReadersOf(p))
	})
	n := count()
	pipeFull(t, f.fr, "the held pipe fills")
	if got := count(); got != n {
		t.Fatalf("%d lines came while held", got-n)
	}
	resume()
	f.wait(t)
	f.check(t)
}

// Stopping the poller while a hot reader reads: the hot reader gives its
// pipe back, the poller closes it (the writer then gets EPIPE), and
// stop returns.
func TestHotPipeStop(t *testing.T) {
	p, stop := testPoller(t)
	f := newHotFlood(t, p, 1000000)
	hot := make(chan struct{})
	var once sync.Once
	f.mu.Lock()
	f.onRun = func([]string) {
		if OnHotReader() {
			once.Do(func() { close(hot) })
			time.Sleep(5 * time.Millisecond) // the flood lasts until the stop
		}
	}
	f.mu.Unlock()
	select {
	case <-hot:
	case <-time.After(deadline):
		t.Fatal("no hot run")
	}
	stopWithin(t, stop)
	if n := hotReadersOf(p); n != 0 {
		t.Errorf("%d hot readers after the stop", n)
	}
	select {
	case err := <-f.written:
		if !errors.Is(err, syscall.EPIPE) {
			t.Errorf("the writer got %v, want EPIPE: the read end is not closed", err)
		}
	case <-time.After(deadline):
		t.Fatal("the writer still blocks: the read end is not closed")
	}
}

// A freeze while a hot reader reads: the pipe is among the frozen ones,
// nothing reads it until the thaw, then every line arrives once, in order.
func TestHotPipeFreeze(t *testing.T) {
	p, _ := testPoller(t)
	f := newHotFlood(t, p, 300000)
	eventually(t, "a hot reader reads the flood", func() (bool, string) {
		return hotReadersOf(p) == 1, fmt.Sprintf("%d hot readers", hotReadersOf(p))
	})
	frozen := p.freeze()
	thaw := sync.OnceFunc(p.thaw) // also on failure: before the poller's stop
	t.Cleanup(thaw)
	found := false
	for _, fp := range frozen {
		found = found || fp.Fd == f.fr
	}
	if !found {
		t.Fatalf("the hot pipe is not among the %d frozen", len(frozen))
	}
	if n := hotReadersOf(p); n != 0 {
		t.Fatalf("%d hot readers while frozen", n)
	}
	f.mu.Lock()
	n := len(f.lines)
	f.mu.Unlock()
	pipeFull(t, f.fr, "the frozen pipe fills")
	f.mu.Lock()
	got := len(f.lines)
	f.mu.Unlock()
	if got != n {
		t.Fatalf("%d lines came while frozen", got-n)
	}
	thaw()
	f.wait(t)
	f.check(t)
}

// A resume that comes while the hot reader still holds its pipe (before
// it kept the rest and gave the pipe back) is not lost, and the poller
// goroutine does not read the pipe before the hot reader gave it back:
// every line arrives once, in order.
func TestHotPipeResumeWhileHot(t *testing.T) {
	// the hook is set before the poller starts and cleared after it
	// stopped (cleanups run last first); the rest runs on the hot reader
	var target atomic.Int64
	target.Store(-1)
	var resume func()
	heldHook = func(op *outPipe) {
		if int64(op.fd) == target.Load() && resume != nil {
			resume()
			resume = nil
			// the poller goroutine, woken, must leave the pipe to
			// its hot reader meanwhile
			time.Sleep(20 * time.Millisecond)
		}
	}
	t.Cleanup(func() { heldHook = nil })
	p, _ := testPoller(t)
	f := newHotFlood(t, p, 300000)
	var once sync.Once
	f.mu.Lock()
	f.onRun = func([]string) {
		if OnHotReader() {
			once.Do(func() {
				var ok bool
				if resume, ok = HoldOutput(); !ok {
					t.Error("HoldOutput refused on a hot reader")
				}
			})
		}
	}
	f.mu.Unlock()
	target.Store(int64(f.fr))
	f.wait(t)
	f.check(t)
}

// A pipe whose reads stay under 64 KiB (a burst of 20 KiB, then a line)
// neither grows nor goes hot: the poller goroutine reads it all.
func TestHotPipeNeedsAFullRead(t *testing.T) {
	p, _ := testPoller(t)
	fr, fw := rawPipe(t)
	data, want := numbered("x", 2000) // about 13 KiB
	c := newCollector(len(want) + 1)
	var mu sync.Mutex
	hot := 0
	if err := p.add(fr, func(line []byte) {
		mu.Lock()
		if OnHotReader() {
			hot++
		}
		mu.Unlock()
		c.emit(line)
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := fw.WriteString(data); err != nil {
		t.Fatal(err)
	}
	if _, err := fw.WriteString("later\n"); err != nil {
		t.Fatal(err)
	}
	c.wait(t, "the burst and the line after it")
	mu.Lock()
	defer mu.Unlock()
	if hot != 0 || hotReadersOf(p) != 0 || p.grown.Load() != 0 {
		t.Errorf("%d lines on a hot reader, %d hot readers, %d grown, after reads under 64 KiB", hot, hotReadersOf(p), p.grown.Load())
	}
}

// Once the flood is over (a read of less than 16 KiB), the hot reader
// gives the pipe back to the poller goroutine, which reads its next
// lines; the pipe stays grown.
func TestHotPipeCoolsAfterTheFlood(t *testing.T) {
	p, _ := testPoller(t)
	f := newHotFloodOpen(t, p, 300000, true, "")
	f.wait(t)
	f.check(t)
	if err := <-f.written; err != nil {
		t.Fatal(err)
	}
	eventually(t, "the hot reader gave the pipe back", func() (bool, string) {
		return hotReadersOf(p) == 0, fmt.Sprintf("%d hot readers", hotReadersOf(p))
	})
	f.mu.Lock()
	hotBefore := f.hot
	f.mu.Unlock()
	f.writeLine(t, "after")
	// and a small read does not make it hot again: the next line too is
	// the poller's
	f.writeLine(t, "again")
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hot != hotBefore {
		t.Errorf("%d of the lines after the flood came through a hot reader", f.hot-hotBefore)
	}
	if p.grown.Load() != 1 {
		t.Errorf("%d grown pipes, want 1: the pipe is still open", p.grown.Load())
	}
}

// HoldOutput holds only while a read's lines are emitted: for the last
// line without "\n", emitted by the hot reader at EOF, it refuses (the
// caller keeps the line), as the poller goroutine does.
func TestHotPipeNoHoldAtEOF(t *testing.T) {
	p, _ := testPoller(t)
	type last struct{ hot, ok bool }
	res := make(chan last, 1)
	f := newHotFloodOpen(t, p, 300000, false, "PARTIAL")
	f.mu.Lock()
	f.onRun = func(run []string) {
		if len(run) == 1 && run[0] == "PARTIAL" {
			_, ok := HoldOutput()
			res <- last{OnHotReader(), ok}
		}
	}
	f.mu.Unlock()
	select {
	case r := <-res:
		if !r.hot {
			t.Skip("the flood's reader was not hot at EOF")
		}
		if r.ok {
			t.Error("HoldOutput held for the last line at EOF")
		}
	case <-time.After(deadline):
		t.Fatal("no last line")
	}
	f.wait(t)
	f.check(t)
}

// A hot reader's lines get the time of its own read, even while the
// poller goroutine emits another pipe's read (an older one): each read's
// time is after the callback of the run before it returned (the read
// came after).
func TestHotPipeLineTime(t *testing.T) {
	p, _ := testPoller(t)
	release := make(chan struct{})
	unblock := sync.OnceFunc(func() { close(release) })
	t.Cleanup(unblock) // also on failure: before the poller's stop
	blocked := make(chan struct{})
	var once sync.Once
	qr, qw := rawPipe(t)
	if err := p.add(qr, func([]byte) {
		once.Do(func() { close(blocked) })
		<-release // the poller goroutine stays in this read's callback
	}); err != nil {
		t.Fatal(err)
	}
	f := newHotFlood(t, p, 600000)
	eventually(t, "a hot reader reads the flood", func() (bool, string) {
		return hotReadersOf(p) == 1, fmt.Sprintf("%d hot readers", hotReadersOf(p))
	})
	if _, err := qw.WriteString("block\n"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-blocked:
	case <-time.After(deadline):
		t.Fatal("the poller never emitted the other pipe's line")
	}
	f.wait(t) // the rest of the flood: the hot reader, while the poller is in the other callback
	unblock()
	f.check(t)
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := 1; i < len(f.times); i++ {
		// runs of one read share its time (a line joined to the end of
		// the read before, then the read's run)
		if !f.times[i].Equal(f.times[i-1]) && f.times[i].Before(f.ends[i-1]) {
			t.Fatalf("run %d of %d has the time %v, before run %d's callback returned (%v)", i, len(f.times), f.times[i], i-1, f.ends[i-1])
		}
	}
}
