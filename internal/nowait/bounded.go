package nowait

import (
	"bytes"
	"errors"
	"io"
	"os"
	"sync"
	"time"
)

// ErrStalled is what a Bounded writer returns for a write it did not
// wait for.
var ErrStalled = errors.New("nowait: the writer does not take its writes")

// Bounded is a writer that waits d at most for each write to w (a pipe
// whose reader hangs, when full, never takes it): a write not done by
// then is left to go on, on a goroutine of its own, and until it returns
// the writes that follow are dropped at once (ErrStalled), so that a few
// messages at an exit cost d, not d each, nor for ever (REFERENCE §7.4).
// Writes are made one at a time, in order.
type Bounded struct {
	w       io.Writer
	d       time.Duration
	turn    chan struct{} // held by the write under way
	mu      sync.Mutex
	stalled bool // a write was not waited for and has not returned
}

// NewBounded returns a Bounded writer to w that waits d at most a write.
func NewBounded(w io.Writer, d time.Duration) *Bounded {
	return &Bounded{w: w, d: d, turn: make(chan struct{}, 1)}
}

// Write writes p to w, waiting d at most.
func (b *Bounded) Write(p []byte) (int, error) {
	b.mu.Lock()
	stalled := b.stalled
	b.mu.Unlock()
	if stalled {
		return 0, ErrStalled
	}
	t := time.NewTimer(b.d)
	defer t.Stop()
	select {
	case b.turn <- struct{}{}:
	case <-t.C:
		return 0, ErrStalled
	}
	type result struct {
		n   int
		err error
	}
	q := bytes.Clone(p) // the caller may reuse p once this returns
	done := make(chan result, 1)
	returned := false
	go func() {
		n, err := b.w.Write(q)
		b.mu.Lock()
		returned, b.stalled = true, false
		b.mu.Unlock()
		<-b.turn
		done <- result{n, err}
	}()
	select {
	case r := <-done:
		return r.n, r.err
	case <-t.C:
		b.mu.Lock()
		if !returned {
			b.stalled = true
		}
		b.mu.Unlock()
		return 0, ErrStalled
	}
}

// StderrBound bounds each of cfkd's writes to its stderr (Stderr).
const StderrBound = time.Second

// Stderr is the process's stderr, each write bounded by StderrBound: the
// one writer every message of cfkd's to its stderr goes through (a
// flag's error, a start that fails, a reload's or a rollback's message,
// a log destination's failure), so that a stderr whose reader hangs
// costs the first of them StderrBound and those that follow nothing
// while it waits, whoever writes them (REFERENCE §7.4). The `stderr`
// log destination is not written through it: its writes are queued and
// bounded as every destination's are (REFERENCE §6.2).
var Stderr = NewBounded(os.Stderr, StderrBound)
