package nowait

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// ErrStalled is what a Queued writer returns for a write it dropped: its
// queue was full, the writer not taking what was queued before.
var ErrStalled = errors.New("nowait: the writer does not take its writes")

// Queued is a writer whose writes never wait: each is copied to a queue,
// which one goroutine of its own writes to w, one write at a time, in
// the order they were made. A w that does not take a write (a pipe whose
// reader hangs, when full) holds that goroutine, never a caller of Write.
// The queue holds max bytes at most (a write to an empty queue is taken
// whatever its size): past it the newest writes are dropped (ErrStalled)
// and counted, and the count is said on w, where the dropped writes
// would have been, once w takes what was queued before them: "cfkd: N
// messages to stderr dropped: stderr did not take them" (the first
// messages are kept: the first says what went wrong first). Flush waits
// for the queue, bounded, before an exit or an exec (REFERENCE §7.4).
type Queued struct {
	w    io.Writer
	max  int
	wake chan struct{} // cap 1: something was queued

	mu      sync.Mutex
	q       [][]byte
	size    int       // bytes in q
	dropped int       // writes dropped since the last one queued
	since   time.Time // when the write under way began; zero when none
	running bool      // the writing goroutine was started
	idle    []chan struct{}
}

// NewQueued returns a Queued writer to w that queues max bytes at most.
func NewQueued(w io.Writer, max int) *Queued {
	return &Queued{w: w, max: max, wake: make(chan struct{}, 1)}
}

// Write queues a copy of p, or drops it (0, ErrStalled) when the queue is
// full; it never waits for w.
func (b *Queued) Write(p []byte) (int, error) {
	b.mu.Lock()
	if len(b.q) > 0 && b.size+len(p) > b.max {
		b.dropped++
		b.mu.Unlock()
		return 0, ErrStalled
	}
	if b.dropped > 0 {
		// said where the dropped writes would have been: before p
		b.push(dropNote(b.dropped))
		b.dropped = 0
	}
	b.push(bytes.Clone(p)) // the caller may reuse p once this returns
	if !b.running {
		b.running = true
		go b.run()
	}
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default: // the goroutine was woken already
	}
	return len(p), nil
}

// push queues p (b.mu held).
func (b *Queued) push(p []byte) {
	b.q = append(b.q, p)
	b.size += len(p)
}

// dropNote says that n writes were dropped.
func dropNote(n int) []byte {
	return fmt.Appendf(nil, "cfkd: %d messages to stderr dropped: stderr did not take them\n", n)
}

// run writes the queue to w, in order, for ever.
func (b *Queued) run() {
	for {
		b.mu.Lock()
		for len(b.q) == 0 && b.dropped == 0 {
			b.since = time.Time{}
			for _, c := range b.idle {
				close(c)
			}
			b.idle = nil
			b.mu.Unlock()
			<-b.wake
			b.mu.Lock()
		}
		var p []byte
		if len(b.q) > 0 {
			p = b.q[0]
			b.q[0] = nil
			b.q = b.q[1:]
			b.size -= len(p)
		} else {
			// w took what was queued before the dropped writes, and
			// nothing was queued after them
			p = dropNote(b.dropped)
			b.dropped = 0
		}
		b.since = time.Now()
		b.mu.Unlock()
		b.w.Write(p)
	}
}

// Flush waits until w has taken every write queued, d at most from now,
// and less when the write under way began earlier: d at most from its
// start, so that a w that has not taken a write for d already (stalled)
// is not waited for again. It reports whether the queue was written.
func (b *Queued) Flush(d time.Duration) bool {
	b.mu.Lock()
	if len(b.q) == 0 && b.dropped == 0 && b.since.IsZero() {
		b.mu.Unlock()
		return true
	}
	end := time.Now().Add(d)
	if !b.since.IsZero() && b.since.Add(d).Before(end) {
		end = b.since.Add(d)
	}
	done := make(chan struct{})
	b.idle = append(b.idle, done)
	b.mu.Unlock()
	t := time.NewTimer(time.Until(end))
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

// StderrBound bounds the wait for cfkd's stderr (Stderr) before an exit
// or an exec: what it has not taken then is lost there.
const StderrBound = time.Second

// StderrQueue is how many bytes of messages Stderr queues at most.
const StderrQueue = 256 << 10

// Stderr is the process's stderr, queued: the one writer every message of
// cfkd's to its stderr goes through (a flag's error, a start that fails,
// a reload's or a rollback's message, a log destination's failure), so
// that they are written in the order they were made and none of them
// waits for a stderr whose reader hangs, whoever writes it: that holds
// the writing goroutine only, the messages that follow are queued, then
// dropped and counted once StderrQueue is full. An exit or an exec waits
// StderrBound at most for the queue (Flush), and not at all for a write
// that has waited so long already (REFERENCE §7.4). The `stderr` log
// destination is not written through it: its writes are queued and
// bounded as every destination's are (REFERENCE §6.2).
var Stderr = NewQueued(os.Stderr, StderrQueue)
