package actors

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Backlog bounds what a Feed holds for a reader that is behind: the lines
// queued and not yet taken, and their bytes. Past either bound the feed is
// cut off (REFERENCE §1.5).
type Backlog struct {
	Lines int
	Bytes int
}

// DefaultBacklog is the backlog of `command events` and `command tail
// NAME follow`: 10,000 lines or 4 MiB.
var DefaultBacklog = Backlog{Lines: 10000, Bytes: 4 << 20}

// ErrFeedClosed ends a feed that was closed: by Close, or by its source
// (the service a tail follows was destroyed; the tree stopped).
var ErrFeedClosed = errors.New("feed closed")

// CutOffError ends a feed whose reader fell behind by more than its
// backlog: Lost lines were dropped since it was cut off.
type CutOffError struct{ Lost int }

func (e *CutOffError) Error() string {
	return fmt.Sprintf("cut off: %d lines lost (not read fast enough)", e.Lost)
}

// Feed is one subscriber's bounded queue of lines: event lines
// ((*Tree).Subscribe) or a service's output ((*Tail).Follow). Its source
// pushes lines from its own goroutine (an actor publishing an event, the
// output poller) and never waits: a push appends to the queue under the
// feed's lock, O(line). A reader takes them with Next, or with Ready and
// Take.
//
// A reader that falls behind by more than the backlog is cut off: from then
// on the lines are only counted, the feed ends once the reader has taken
// what was queued before, and the count is its loss (CutOffError). A slow
// reader thus never slows the source nor another feed, and costs at most
// its backlog.
//
// A Feed must be closed once its reader is done with it (Close may be
// called at any time, from any goroutine, more than once).
type Feed struct {
	mu      sync.Mutex
	lines   [][]byte
	bytes   int
	max     Backlog
	over    bool // cut off: pushes are counted in lost
	lost    int
	ended   bool   // closed, or the end was taken: nothing more comes
	closed  bool   // by Close or the source (not cut off)
	why     string // what ended it, when that is said to its client (endWith)
	ready   chan struct{}
	onCut   func() // called once when the feed is cut off
	detach  func() // unregisters the feed from its source
	detOnce sync.Once
}

func newFeed(b Backlog) *Feed {
	if b.Lines <= 0 {
		b.Lines = DefaultBacklog.Lines
	}
	if b.Bytes <= 0 {
		b.Bytes = DefaultBacklog.Bytes
	}
	return &Feed{max: b, ready: make(chan struct{}, 1)}
}

// signal wakes the reader (a token is left if it is not waiting).
func (f *Feed) signal() {
	select {
	case f.ready <- struct{}{}:
	default:
	}
}

// push queues line, which the feed then owns. It never blocks.
func (f *Feed) push(line []byte) {
	f.mu.Lock()
	switch {
	case f.ended:
		f.mu.Unlock()
		return
	case f.over:
		f.lost++
		f.mu.Unlock()
		return
	case len(f.lines) >= f.max.Lines || f.bytes+len(line) > f.max.Bytes:
		f.over, f.lost = true, 1
		cut := f.onCut
		f.mu.Unlock()
		f.signal()
		if cut != nil {
			cut()
		}
		return
	}
	f.lines = append(f.lines, line)
	f.bytes += len(line)
	f.mu.Unlock()
	f.signal()
}

// end closes the feed from its source's side (under the source's lock:
// it does not detach).
func (f *Feed) end() { f.endWith("") }

// endWith is end, with why the stream is over, which its writer says
// in its last line, as the end of a stream that ended as it should
// (REFERENCE §1.5: cfkd shuts down, the service a tail follows was
// destroyed). The first end counts: a feed its client ended (end) gets
// no such line.
func (f *Feed) endWith(why string) {
	f.mu.Lock()
	if !f.ended && !f.over && !f.closed {
		f.closed, f.why = true, why
	}
	f.mu.Unlock()
	f.signal()
}

// endReason is what endWith said ended f ("" when nothing was said).
func (f *Feed) endReason() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.why
}

// Ready has a value when lines may be waiting, or the feed has ended:
// call Take then. It may wake a reader with nothing to take.
func (f *Feed) Ready() <-chan struct{} { return f.ready }

// Take returns the lines queued (oldest first) and empties the queue; the
// reader owns them. ended is true when nothing more will come: the lines
// returned with it are the last ones. lost is then how many lines were
// dropped since the feed was cut off (0 when it was closed instead).
//
// A feed cut off gives the lines queued before the cut first, not ended,
// and its end at the next Take: the lines dropped while its reader writes
// those (a slow client takes long) are counted too (REFERENCE §1.5: N
// counts the lines dropped until the lost line).
func (f *Feed) Take() (lines [][]byte, lost int, ended bool) {
	f.mu.Lock()
	lines, f.lines, f.bytes = f.lines, nil, 0
	switch {
	case f.ended:
		lines = nil
	case f.over && len(lines) > 0:
		f.signal() // the end is there to take
	case f.over || f.closed:
		f.ended = true
		lost = f.lost
	}
	ended = f.ended
	f.mu.Unlock()
	if ended {
		f.unregister()
	}
	return lines, lost, ended
}

// Next waits for lines and returns them, oldest first, with a nil error;
// or, once the feed has ended, its last lines (maybe none) with
// *CutOffError or ErrFeedClosed; or ctx's error.
func (f *Feed) Next(ctx context.Context) ([][]byte, error) {
	for {
		lines, lost, ended := f.Take()
		switch {
		case ended && lost > 0:
			return lines, &CutOffError{Lost: lost}
		case ended:
			return lines, ErrFeedClosed
		case len(lines) > 0:
			return lines, nil
		}
		select {
		case <-f.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Close ends the feed: its queue is dropped, it is unregistered from its
// source, and a reader waiting in Next gets ErrFeedClosed.
func (f *Feed) Close() {
	f.mu.Lock()
	f.ended, f.closed = true, true
	f.lines, f.bytes = nil, 0
	f.mu.Unlock()
	f.signal()
	f.unregister()
}

func (f *Feed) unregister() {
	f.detOnce.Do(func() {
		if f.detach != nil {
			f.detach()
		}
	})
}

// isCut reports whether f was cut off (its reader fell behind).
func (f *Feed) isCut() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.over
}

// drop ends f, dropping what is queued: it returns the lines its reader
// will never get, those queued and those counted since the cut (the
// stream's writer gives up on a reader that did not read in time).
func (f *Feed) drop() int {
	f.mu.Lock()
	n := 0
	if !f.ended {
		n = len(f.lines) + f.lost
	}
	f.ended, f.closed = true, true
	f.lines, f.bytes = nil, 0
	f.mu.Unlock()
	f.unregister()
	return n
}
