package logconf

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"gopkg.in/natefinch/lumberjack.v2"
)

// sink is one open destination, shared by every category routed to it.
// Records are written whole, in the order they came, so records of several
// categories never interleave inside a line.
//
// A record is queued (queue, queueAppend) and written by a flusher
// goroutine that runs while the queue is not empty, one write(2) for
// everything queued meanwhile: the lines of a chatty service cost one
// system call per batch, not per line, and neither the output poller nor
// an actor logging an event waits for the disk. Order holds: one flusher
// at a time takes the whole queue. No goroutine runs while the queue is
// empty.
type sink struct {
	name   string    // "file:/abs/path", "stderr" or "stdout"
	w      io.Writer // the *os.File or *lumberjack.Logger
	closer io.Closer // nil for stdout and stderr, which a Router never closes
	rot    *lumberjack.Logger
	// rotation settings rot was made with (so an Apply can reuse it).
	maxSizeMB, maxBackups int

	mu       sync.Mutex
	idle     *sync.Cond // broadcast when flushing stops (the queue is empty)
	queued   []byte     // records waiting for the flusher
	spare    []byte     // the flusher's last batch, reused
	flushing bool       // a flusher goroutine is running
	failing  bool       // the last write failed; the failure was reported
	errs     atomic.Uint64
	report   io.Writer // where the flusher reports
}

// maxQueued bounds the records a sink holds for its flusher: past it a
// queue call waits (the output poller then stops reading, and services
// block on their pipes, as they would on a slow disk).
const maxQueued = 256 << 10

// queue appends one record for the flusher and returns; p may be reused
// by the caller at once.
func (s *sink) queue(p []byte, report io.Writer) {
	s.queueAppend(len(p), report, func(b []byte) []byte { return append(b, p...) })
}

// queueAppend is queue for a record that add appends to the queue itself
// (no copy of it on the way); size bounds its length, for the bound of the
// queue.
func (s *sink) queueAppend(size int, report io.Writer, add func(b []byte) []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.queued) > 0 && len(s.queued)+size > maxQueued {
		s.waitCond()
	}
	s.queued = add(s.queued)
	s.report = report
	if !s.flushing {
		s.flushing = true
		go s.flush()
	}
}

// sync returns once every queued record was written.
func (s *sink) sync() {
	s.mu.Lock()
	s.waitIdle()
	s.mu.Unlock()
}

// waitIdle waits, s.mu held, until no flusher runs.
func (s *sink) waitIdle() {
	for s.flushing {
		s.waitCond()
	}
}

func (s *sink) waitCond() {
	if s.idle == nil {
		s.idle = sync.NewCond(&s.mu)
	}
	s.idle.Wait()
}

// flush writes the queue in batches until it is empty.
func (s *sink) flush() {
	s.mu.Lock()
	for len(s.queued) > 0 {
		batch, report := s.queued, s.report
		s.queued = s.spare[:0]
		if s.idle != nil {
			s.idle.Broadcast() // room in the queue
		}
		s.mu.Unlock()
		// only this goroutine writes while flushing is set: the batch is
		// written whole and in order without holding mu
		s.putLocked(batch, report)
		s.mu.Lock()
		// the next queue is the batch just written, or a new one; never
		// the spare, which is the queue being filled now
		s.spare = nil
		if cap(batch) <= 2*maxQueued {
			s.spare = batch[:0]
		}
	}
	s.flushing = false
	if s.idle != nil {
		s.idle.Broadcast()
	}
	s.mu.Unlock()
}

// putLocked writes p; the caller is the flusher, the only writer. A failed write is counted;
// the first failure of a streak is reported to report, and so is the
// first success after it. There is no retry: the next record simply tries
// again.
func (s *sink) putLocked(p []byte, report io.Writer) {
	if _, err := s.w.Write(p); err != nil {
		s.errs.Add(uint64(max(bytes.Count(p, []byte{'\n'}), 1))) // records lost
		if !s.failing {
			s.failing = true
			fmt.Fprintf(report, "cfkd: log destination %s: %v (records are lost; further errors counted, not reported)\n", s.name, err)
		}
		return
	}
	if s.failing {
		s.failing = false
		fmt.Fprintf(report, "cfkd: log destination %s: writable again (%d failed writes so far)\n", s.name, s.errs.Load())
	}
}

// close writes what is queued, then closes a file sink; stdout and
// stderr stay open and are not waited for (a stalled terminal must not
// stall a reload).
func (s *sink) close() error {
	if s.closer == nil {
		return nil
	}
	s.sync()
	return s.closer.Close()
}

// syncWithin is sync bounded by d (for stdout and stderr at exit); it
// reports whether everything was written.
func (s *sink) syncWithin(d time.Duration) bool {
	done := make(chan struct{})
	go func() { s.sync(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

// openFile opens path for appending (created 0600 if missing). With
// maxSizeMB > 0 the file is handed to lumberjack, which opens it itself on
// the first write; it is opened here all the same, so that an unopenable
// path is an error now rather than a lost record later.
//
// O_NONBLOCK: a FIFO without a reader is an error (ENXIO) instead of an
// open that blocks cfkd's reload forever (regular files ignore the flag; a
// FIFO with a reader is then written through Go's poller).
func openFile(path string, maxSizeMB, maxBackups int) (*sink, error) {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY|syscall.O_NONBLOCK, 0o600)
	if err != nil {
		return nil, err
	}
	s := &sink{name: "file:" + path, maxSizeMB: maxSizeMB, maxBackups: maxBackups}
	if maxSizeMB <= 0 {
		s.w, s.closer = f, f
		return s, nil
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	s.rot = &lumberjack.Logger{
		Filename: path, MaxSize: maxSizeMB, MaxBackups: maxBackups, LocalTime: true,
	}
	s.w, s.closer = s.rot, s.rot
	return s, nil
}

// probe checks that path can still be opened for appending (creating it,
// as logrotate's move leaves no file behind).
func probe(path string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY|syscall.O_NONBLOCK, 0o600)
	if err != nil {
		return err
	}
	return f.Close()
}
