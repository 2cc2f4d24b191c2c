package actors

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cfk/cfk/osproc"
)

// The tail store (tail.go) and the feeds (feed.go) on their own.

func lineStrings(ls [][]byte) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = string(l)
	}
	return out
}

// TestTailRingBound: a ring keeps the newest lines within its bytes, in
// order, whatever the sizes and however often it wraps; it grows only as
// lines come.
func TestTailRingBound(t *testing.T) {
	const limit = 1000
	tl := newTail(nopLines{}, limit)
	tl.declare("a")
	tl.declare("quiet")
	if got := tl.Last("a", 10); got != nil {
		t.Fatalf("a ring before any line: %q", got)
	}
	var want []string // every line written
	for i := 0; i < 500; i++ {
		l := fmt.Sprintf("line %d %s", i, strings.Repeat("x", i%97))
		want = append(want, l)
		tl.ServiceLine("a", "out", 1, []byte(l))
		// what the ring holds: the newest lines whose records (2 bytes + the
		// line) fit in limit bytes
		kept, used := 0, 0
		for j := len(want) - 1; j >= 0 && used+2+len(want[j]) <= limit; j-- {
			used += 2 + len(want[j])
			kept++
		}
		got := lineStrings(tl.Last("a", 1000))
		if len(got) < kept-1 || len(got) > kept {
			t.Fatalf("after %d lines the ring holds %d, want %d or %d", i+1, len(got), kept-1, kept)
		}
		if strings.Join(got, "\n") != strings.Join(want[len(want)-len(got):], "\n") {
			t.Fatalf("after %d lines the ring holds %q", i+1, got)
		}
		if last := lineStrings(tl.Last("a", 3)); len(last) != min(3, len(got)) || last[len(last)-1] != l {
			t.Fatalf("Last(3) = %q", last)
		}
	}
	tl.mu.Lock()
	if n := len(tl.rings["a"].buf); n != limit {
		t.Errorf("the ring grew to %d bytes, want its bound %d", n, limit)
	}
	if r := tl.rings["quiet"]; r != nil {
		t.Errorf("a quiet service has a ring of %d bytes", len(r.buf))
	}
	tl.mu.Unlock()

	// a line longer than the ring's pieces is kept in pieces
	big := newTail(nopLines{}, 64<<10)
	big.declare("b")
	long := bytes.Repeat([]byte("y"), maxTailLine*2+10)
	big.ServiceLine("b", "err", 1, long)
	if got := big.Last("b", 10); len(got) != 3 || len(got[0]) != maxTailLine || len(got[2]) != 10 {
		t.Errorf("a line of %d bytes is kept as %d pieces", len(long), len(got))
	}
	// a line for a service not declared (destroyed) is not kept
	big.ServiceLine("gone", "out", 1, []byte("late"))
	if got := big.Last("gone", 10); got != nil {
		t.Errorf("a line of an undeclared service is kept: %q", got)
	}
	big.forget("b")
	if got := big.Last("b", 10); got != nil {
		t.Errorf("a forgotten service keeps its lines: %q", got)
	}
}

// TestTailLogsFirst: the wrapped LineLogger gets every line, whether it is
// kept or not.
func TestTailLogsFirst(t *testing.T) {
	rec := &recLines{}
	tl := newTail(rec, 0)
	tl.declare("a")
	tl.ServiceLine("a", "out", 7, []byte("one"))
	tl.ServiceLine("nope", "err", 8, []byte("two"))
	if got := rec.all(); got != "a out 7 one|nope err 8 two" {
		t.Errorf("logged %q", got)
	}
}

type recLines struct {
	mu    sync.Mutex
	lines []string
}

func (r *recLines) ServiceLine(service, stream string, pid int, line []byte) {
	r.mu.Lock()
	r.lines = append(r.lines, fmt.Sprintf("%s %s %d %s", service, stream, pid, line))
	r.mu.Unlock()
}

func (r *recLines) all() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.lines, "|")
}

func nextLines(t *testing.T, f *Feed) ([]string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	ls, err := f.Next(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatal("no line within the deadline")
	}
	return lineStrings(ls), err
}

// TestTailFollow: a follower gets the last lines, then the new ones, and
// ends (after its queued lines) when the service is destroyed.
func TestTailFollow(t *testing.T) {
	tl := newTail(nopLines{}, 0)
	tl.declare("a")
	for i := 1; i <= 5; i++ {
		tl.ServiceLine("a", "out", 1, []byte(fmt.Sprint(i)))
	}
	f := tl.Follow("a", 2, Backlog{})
	defer f.Close()
	if got, err := nextLines(t, f); err != nil || strings.Join(got, ",") != "4,5" {
		t.Fatalf("first lines %q, %v", got, err)
	}
	tl.ServiceLine("a", "err", 1, []byte("6"))
	tl.ServiceLine("a", "out", 1, []byte("7"))
	if got, err := nextLines(t, f); err != nil || strings.Join(got, ",") != "6,7" {
		t.Fatalf("new lines %q, %v", got, err)
	}
	tl.ServiceLine("a", "out", 1, []byte("8"))
	tl.forget("a")
	if got, err := nextLines(t, f); !errors.Is(err, ErrFeedClosed) || strings.Join(got, ",") != "8" {
		t.Fatalf("at the destroy: %q, %v", got, err)
	}
	tl.mu.Lock()
	if len(tl.follows) != 0 {
		t.Errorf("followers left: %v", tl.follows)
	}
	tl.mu.Unlock()
	// an unknown service: a feed that has ended
	if got, err := nextLines(t, tl.Follow("nosuch", 20, Backlog{})); err != ErrFeedClosed || len(got) != 0 {
		t.Errorf("follow of an unknown service: %q, %v", got, err)
	}
}

// TestFeedCutOff: a reader that falls behind by more than the backlog gets
// what was queued, then the count of what it lost, and the feed is
// unregistered; another feed of the same source goes on, every line there.
func TestFeedCutOff(t *testing.T) {
	tl := newTail(nopLines{}, 0)
	tl.declare("a")
	cuts := 0
	slow := tl.follow("a", 0, Backlog{Lines: 10, Bytes: 1 << 20}, func() { cuts++ })
	fast := tl.Follow("a", 0, Backlog{Lines: 10, Bytes: 1 << 20})
	defer fast.Close()
	var fastGot []string
	for i := 0; i < 25; i++ {
		tl.ServiceLine("a", "out", 1, []byte(fmt.Sprint(i)))
		ls, _, ended := fast.Take()
		if ended {
			t.Fatal("the fast feed ended")
		}
		fastGot = append(fastGot, lineStrings(ls)...)
	}
	if len(fastGot) != 25 {
		t.Errorf("the fast feed got %d lines", len(fastGot))
	}
	if cuts != 1 {
		t.Errorf("onCut called %d times", cuts)
	}
	got, err := nextLines(t, slow)
	if err != nil || len(got) != 10 || got[9] != "9" {
		t.Fatalf("the slow feed: %q, %v (want the 10 lines queued)", got, err)
	}
	got, err = nextLines(t, slow)
	var cut *CutOffError
	if !errors.As(err, &cut) || cut.Lost != 15 || len(got) != 0 {
		t.Fatalf("the slow feed, then: %q, %v (want its end, 15 lost)", got, err)
	}
	tl.mu.Lock()
	if n := len(tl.follows["a"]); n != 1 {
		t.Errorf("%d followers registered, want the fast one", n)
	}
	tl.mu.Unlock()
	// by bytes too
	b := tl.Follow("a", 0, Backlog{Lines: 1000, Bytes: 10})
	tl.ServiceLine("a", "out", 1, []byte("12345"))
	tl.ServiceLine("a", "out", 1, []byte("12345"))
	tl.ServiceLine("a", "out", 1, []byte("1"))
	if got, err := nextLines(t, b); err != nil || len(got) != 2 {
		t.Errorf("bytes bound: %q, %v", got, err)
	}
	if got, err := nextLines(t, b); !errors.As(err, &cut) || cut.Lost != 1 || len(got) != 0 {
		t.Errorf("bytes bound, then: %q, %v", got, err)
	}
}

// TestFeedCutOffCountsWhileItsLinesAreTaken: the lines dropped while the
// reader of a feed cut off writes the lines queued before the cut count
// in its loss: they are lost before its lost line, which comes after
// those (REFERENCE §1.5). They went uncounted: a slow client, whose write
// of those lines takes long, was told it lost far fewer than it did.
func TestFeedCutOffCountsWhileItsLinesAreTaken(t *testing.T) {
	tl := newTail(nopLines{}, 0)
	tl.declare("a")
	f := tl.Follow("a", 0, Backlog{Lines: 3, Bytes: 1 << 20})
	defer f.Close()
	for i := 0; i < 5; i++ { // 3 queued, 2 dropped
		tl.ServiceLine("a", "out", 1, []byte(fmt.Sprint(i)))
	}
	lines, _, ended := f.Take()
	if len(lines) != 3 || ended {
		t.Fatalf("first take: %d lines, ended %v (want the 3 queued, not the end)", len(lines), ended)
	}
	for i := 5; i < 9; i++ { // dropped while the reader writes those 3
		tl.ServiceLine("a", "out", 1, []byte(fmt.Sprint(i)))
	}
	got, err := nextLines(t, f)
	var cut *CutOffError
	if !errors.As(err, &cut) || cut.Lost != 6 || len(got) != 0 {
		t.Fatalf("then: %q, %v (want the end, 6 lost)", got, err)
	}
}

// TestFeedClose: Close wakes a reader and unregisters; Next honours its
// context.
func TestFeedClose(t *testing.T) {
	h := newEventHub(newTestStream())
	f := h.subscribe(allSel, Backlog{}, nil)
	done := make(chan error, 1)
	go func() {
		_, err := f.Next(context.Background())
		done <- err
	}()
	f.Close()
	select {
	case err := <-done:
		if err != ErrFeedClosed {
			t.Errorf("Next after Close: %v", err)
		}
	case <-time.After(deadline):
		t.Fatal("Close did not wake Next")
	}
	if h.n.Load() != 0 {
		t.Errorf("%d feeds registered after Close", h.n.Load())
	}
	g := h.subscribe(allSel, Backlog{}, nil)
	defer g.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := g.Next(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Next of a quiet feed: %v", err)
	}
}

// holdLines is a LinesLogger that takes the first n lines of a run, then
// leaves the rest (as one that held its pipe).
type holdLines struct {
	recLines
	n int
}

func (h *holdLines) ServiceLines(service, stream string, pid int, lines *osproc.Lines) {
	for range h.n {
		line, ok := lines.Next()
		if !ok {
			return
		}
		h.ServiceLine(service, stream, pid, line)
	}
}

// TestTailLines: a run of lines goes to a LinesLogger as a run (to a
// LineLogger a line at a time), and the Tail keeps those it took, in
// order, and pushes them to the followers.
func TestTailLines(t *testing.T) {
	h := &holdLines{n: 2}
	tl := newTail(h, 0)
	tl.declare("a")
	f := tl.Follow("a", 0, Backlog{})
	defer f.Close()
	lines := osproc.RunOf([]byte("one\ntwo\r\nthree\n"))
	tl.ServiceLines("a", "out", 7, lines)
	if got := h.all(); got != "a out 7 one|a out 7 two" {
		t.Errorf("logged %q", got)
	}
	if got := lineStrings(tl.Last("a", 10)); !slices.Equal(got, []string{"one", "two"}) {
		t.Errorf("kept %q, want the two lines taken", got)
	}
	if got, _ := nextLines(t, f); !slices.Equal(got, []string{"one", "two"}) {
		t.Errorf("followed %q", got)
	}
	if rest, ok := lines.Next(); !ok || string(rest) != "three" {
		t.Errorf("left %q, want three", rest)
	}
	rec := &recLines{}
	tl = newTail(rec, 0)
	tl.declare("b")
	tl.ServiceLines("b", "err", 8, osproc.RunOf([]byte("x\ny\n")))
	if got := rec.all(); got != "b err 8 x|b err 8 y" {
		t.Errorf("logged %q", got)
	}
	if got := lineStrings(tl.Last("b", 10)); !slices.Equal(got, []string{"x", "y"}) {
		t.Errorf("kept %q", got)
	}
}

// TestTailLinesAsLines: a ring fed runs of lines (ServiceLines, which
// skips the lines the run itself would push out, and keeps a run that
// pushes out everything uncut until it is read) holds what it holds fed
// the same lines one at a time, whatever their lengths and endings, and
// whenever it is read.
func TestTailLinesAsLines(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, limit := range []int{100, 1000, 4096} {
		one, run := newTail(nopLines{}, limit), newTail(nopLines{}, limit)
		one.declare("a")
		run.declare("a")
		for range 200 {
			var b strings.Builder
			for range rng.IntN(60) {
				b.WriteString(strings.Repeat("x", rng.IntN(150)))
				if rng.IntN(4) == 0 {
					b.WriteByte('\r')
				}
				b.WriteByte('\n')
			}
			text := b.String()
			lines := osproc.RunOf([]byte(text))
			for l := *lines; ; {
				line, ok := l.Next()
				if !ok {
					break
				}
				one.ServiceLine("a", "out", 1, line)
			}
			run.ServiceLines("a", "out", 1, lines)
			if rng.IntN(3) != 0 {
				continue // not read: a flood's runs follow one another uncut
			}
			if got, want := lineStrings(run.Last("a", 10000)), lineStrings(one.Last("a", 10000)); !slices.Equal(got, want) {
				t.Fatalf("limit %d: runs keep %d lines, lines one by one %d", limit, len(got), len(want))
			}
		}
	}
}

// TestFollowGivesAllTheLastLinesAskedFor: `tail NAME N follow` starts with
// the last N lines, as `tail NAME N` gives them, even past the backlog's
// bound of lines, which is for the lines a reader lets pile up after
// them: the first batch was cut to 10,000 lines, with no word of it.
func TestFollowGivesAllTheLastLinesAskedFor(t *testing.T) {
	tl := newTail(nopLines{}, 0)
	tl.declare("a")
	for i := range 15000 {
		tl.ServiceLine("a", "out", 1, []byte(fmt.Sprint(i%10)))
	}
	want := len(tl.Last("a", 15000))
	if want != 15000 {
		t.Fatalf("the ring holds %d lines, want 15000 (test set-up)", want)
	}
	f := tl.Follow("a", 15000, Backlog{Lines: 100, Bytes: 1 << 20})
	defer f.Close()
	got, _, ended := f.Take()
	if ended || len(got) != want {
		t.Fatalf("follow's first lines: %d (ended %v), want %d", len(got), ended, want)
	}
	// what piles up after them is still bounded: by the number of those
	// lines now (the ring's 64 KiB keeps that small), not the 100 given
	for i := range 15001 {
		tl.ServiceLine("a", "out", 1, []byte(fmt.Sprint(i%10)))
	}
	// the lines queued before the cut come first, then the end
	_, err := nextLines(t, f)
	if err == nil {
		_, err = nextLines(t, f)
	}
	if !errors.As(err, new(*CutOffError)) {
		t.Errorf("a reader that let 15,001 lines pile up: %v, want cut off", err)
	}
}
