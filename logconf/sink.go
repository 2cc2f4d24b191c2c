package logconf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cfk/cfk/osproc"
	"github.com/sirupsen/logrus"
)

// sink is one open destination, shared by every category routed to it.
// Records are written whole, in the order they came, so records of several
// categories never interleave inside a line.
//
// A record is queued (put) and written by a flusher goroutine that runs
// while the queue is not empty, one write(2) for everything queued
// meanwhile: the lines of a chatty service cost one system call per batch,
// not per line. Order holds: one flusher at a time takes the whole queue.
// No goroutine runs while the queue is empty. The flusher is the caller
// itself when that is an osproc hot reader and the destination a regular
// file (inline): see putLines.
//
// Nobody who queues ever waits (REFERENCE §6.2). Past softMax queued, a
// line from an output callback of the osproc poller holds its pipe
// (osproc.HoldOutput): the line is queued, and the poller reads that pipe
// again only once the flusher takes the queue (its resume is a waiter); so
// the service that floods waits, in its write(2). Any other record (cfkd's
// events, a line from elsewhere) is queued up to hardMax, and dropped past
// it: the drops are counted, and a record "N lines dropped" is queued as
// soon as there is room again.
type sink struct {
	name   string    // "file:/abs/path", "stderr" or "stdout"
	w      io.Writer // the *os.File or *rotator
	closer io.Closer // nil for stdout and stderr, which a Router never closes
	rot    *rotator
	// rotation settings rot was made with (so an Apply can reuse it).
	maxSizeMB, maxBackups int

	mu       sync.Mutex
	idle     *sync.Cond // broadcast when flushing stops (the queue is empty)
	queued   []byte     // records waiting for the flusher
	spare    []byte     // the flusher's last batch, reused
	writing  []byte     // the batch the flusher writes (outside mu), for unwritten
	flushing bool       // a flusher runs (a goroutine, or a hot reader inline)
	closed   bool       // swapped out by the Router: put refuses records
	dead     bool       // closed for good: the flusher drops what is left
	// gaveUp: the shutdown's drain gave up on s (abandon): s takes no
	// record more (each counted lost), its loss is said by the drain's
	// caller, not by the flusher, and close does not wait for it again;
	// or close left a rotating file to close once its write returns,
	// and said its loss itself
	gaveUp  bool
	cut     bool // abandon closed the file: close does not close it again
	failing bool // the last write failed
	// deadLost counts the records dead dropped (and those of the write
	// the close failed), said once when the flusher stops (only the
	// flusher uses it, and abandon once it stopped)
	deadLost uint64
	// inline: a regular file, which a hot reader may write itself
	// (putLines); never stdout, stderr or a FIFO, which can block for
	// ever
	inline  bool
	waiters []func() // resumes of the output pipes held until there is room
	// prev is the sink of the same path this one replaced in a reload:
	// this one writes nothing until prev is closed (it takes no more
	// records) and has written its queue, or closeGrace has passed, so
	// that the records of one file stay in order. Closed, not only idle:
	// a writer that loaded the old state before the swap may still put a
	// record on prev after this one's first write, and that record is
	// older than the next one it puts here
	prev *sink
	// partial: a failed write left part of a record in the destination;
	// the next write starts with "\n" (only the flusher uses it)
	partial  bool
	dropped  uint64                               // records dropped since there was last room
	notes    *atomic.Pointer[func(*logrus.Entry)] // the Router's dropNotes (nil: none)
	noteJSON bool                                 // the format of the drop note (that of the last put)
	report   io.Writer                            // where the flusher reports
	text     textCache                            // of the last service record formatted into queued
	// *tally: the records this destination lost and dropped, shared by
	// the sinks of its name across reloads (Router.open)
	*tally
	// failNote, when set, takes the record that says the destination
	// fails, or takes records again: the Router logs it among cfkd's
	// events (REFERENCE §6.2; stderr alone is /dev/null under cfkd -d).
	// The flusher calls it, outside mu: at most once per failNoteEvery
	// for a failure (noteAt), and for a recovery only after a failure
	// it noted (noted); stderr (report) gets the same. Only the flusher
	// uses noteAt, noted and streaks.
	// lost: the destination loses its records (a failure: not said in
	// itself), not one that only could not rotate.
	failNote func(s *sink, e *logrus.Entry, lost bool)
	noteAt   time.Time
	noted    bool
	streaks  int // failure streaks begun since the last one said
}

// tally counts what a destination could not write (REFERENCE §6.2,
// §10.2): errs the records its failed writes lost (and those a close
// left queued), drops those dropped past hardMax. A reload that opens
// the same name afresh hands the new sink the tally of the old one, so
// the counts go on across reloads (logrotate's SIGUSR1), and the old
// sink's last losses, while it closes, are counted there too; a name a
// reload removes takes its tally with it. Read at any time, without a
// lock (Router.Losses).
type tally struct {
	errs  atomic.Uint64
	drops atomic.Uint64
}

// failNoteEvery bounds the failure notes of a destination (sink.failNote):
// one whose writes fail and succeed by turns (a disk at its last blocks,
// which others free and fill) made a note, an event and two records of
// cfkd's, for each batch of its services' lines. A failure not noted for
// that is noted at a failed write once the period is over.
var failNoteEvery = time.Minute

// softMax is the records a sink holds before a line from an output pipe
// holds its pipe; hardMax the records it holds before anything else is
// dropped. Between the two is room for cfkd's events while services are
// held (a burst, such as the "starting" records of a start of thousands
// of services, while the flusher waits for a core). Held pipes may add
// one record each past hardMax.
const (
	softMax = 256 << 10
	hardMax = 4 << 20
)

// closeGrace is how long closing a file waits for its queue to be written
// (a FIFO nobody reads never takes it); then it is closed, and what is
// left is lost and counted.
const closeGrace = time.Second

// holdOutput is osproc.HoldOutput, onHotReader osproc.OnHotReader
// (tests replace them).
var (
	holdOutput  = osproc.HoldOutput
	onHotReader = osproc.OnHotReader
)

// put queues one record that add appends to the queue itself (no copy of
// it on the way); size bounds its length. A line of a service (line)
// holds its output pipe when the queue is full, anything else is dropped
// past hardMax. It never waits. json is the format of the drop note, if
// one is due. It reports false, having done nothing, when the sink is
// closed: the caller routes the record again, with the Router's new state.
func (s *sink) put(size int, line, json bool, report io.Writer, add func(b []byte) []byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock() // also when add panics (a value's method): the sink stays usable
	if s.closed {
		return false
	}
	if s.gaveUp { // after the shutdown's drain: lost (Router.DrainToClose)
		s.errs.Add(1)
		return true
	}
	if len(s.queued) >= softMax {
		held := false
		if line {
			var resume func()
			if resume, held = holdOutput(); held {
				s.waiters = append(s.waiters, resume)
			}
		}
		if !held && len(s.queued)+size > hardMax {
			s.dropped++
			s.drops.Add(1)
			s.noteJSON = json
			return true
		}
	}
	s.queued = add(s.queued)
	s.report, s.noteJSON = report, json
	if !s.flushing {
		s.flushing = true
		go s.flush()
	}
	return true
}

// putLines is put for a run of lines of an output pipe (osproc.Lines):
// one lock for the run; add appends each line's record (over bounds its
// length beyond the line's; json is the format, for the drop note). Each
// line is queued as put would queue it alone; once one holds the pipe
// (the queue was full), the run stops after it: the lines not taken are
// the poller's again. head, when not nil, is the text before each line of
// a text record (add's too): the lines that need no cut are then queued
// by osproc.Lines.AppendRecords, without a call a line.
func (s *sink) putLines(lines *osproc.Lines, over int, json bool, report io.Writer, head func(c *textCache) []byte, add func(b, head, line []byte) []byte) bool {
	queued, inline := s.queueLines(lines, over, json, report, head, add)
	if inline {
		s.flushInline()
	}
	return queued
}

// queueLines is putLines under s.mu (released also when add panics): it
// reports whether the sink took the lines, and whether the caller is to
// write them itself (flushInline).
func (s *sink) queueLines(lines *osproc.Lines, over int, json bool, report io.Writer, head func(c *textCache) []byte, add func(b, head, line []byte) []byte) (queued, inline bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false, false
	}
	if s.gaveUp { // after the shutdown's drain: lost (Router.DrainToClose)
		for _, ok := lines.Next(); ok; _, ok = lines.Next() {
			s.errs.Add(1)
		}
		return true, false
	}
	var h []byte
	if head != nil {
		h = head(&s.text)
	}
	for {
		if h != nil && len(s.queued) < softMax {
			s.queued = lines.AppendRecords(s.queued, h, softMax)
		}
		line, ok := lines.Next()
		if !ok {
			break
		}
		if len(s.queued) >= softMax {
			if resume, held := holdOutput(); held {
				s.waiters = append(s.waiters, resume)
				s.queued = add(s.queued, h, line)
				break
			}
			if len(s.queued)+len(line)+over > hardMax {
				s.dropped++
				s.drops.Add(1)
				s.noteJSON = json
				continue
			}
		}
		s.queued = add(s.queued, h, line)
	}
	s.report, s.noteJSON = report, json
	if !s.flushing && len(s.queued) > 0 {
		s.flushing = true
		// the hot reader of a flood writes its records itself: one
		// thread reads, formats and writes, and if the file is slow
		// only that service waits (osproc's hot readers)
		if inline = s.inline && onHotReader(); !inline {
			go s.flush()
		}
	}
	return true, inline
}

// queue is put for a record of cfkd's (tests).
func (s *sink) queue(p []byte, report io.Writer) {
	s.put(len(p), false, false, report, func(b []byte) []byte { return append(b, p...) })
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

// flush writes the queue in batches until it is empty. Taking a batch
// makes room: the held pipes are resumed, and the drop note queued.
func (s *sink) flush() {
	s.mu.Lock()
	s.flushBatches(-1)
}

// flushInline is the flush of a hot reader (putLines): one batch, what
// was queued when it began; what was queued meanwhile (other services,
// cfkd's events) goes to a flusher goroutine, so that the hot reader
// goes back to its own pipe after one write.
func (s *sink) flushInline() {
	s.mu.Lock()
	if s.flushBatches(1) {
		go s.flush()
	}
}

// flushBatches writes batches, at most n (n < 0: no bound) until the
// queue is empty, s.mu held; it returns, s.mu released, whether the
// queue still holds records: then flushing stays set, for the caller to
// go on.
func (s *sink) flushBatches(n int) (more bool) {
	for ; len(s.queued) > 0; n-- {
		if n == 0 {
			s.mu.Unlock()
			return true
		}
		batch, report := s.queued, s.report
		// the next queue is the last batch written, or a new one
		s.queued, s.spare = s.spare[:0], nil
		s.writing = batch
		var note *logrus.Entry
		if s.dropped > 0 {
			note = dropNote(s.dropped, s.name)
			s.queued = append(s.queued, format(s.noteJSON, note, origin{})...)
			s.dropped = 0
		}
		waiters := s.waiters
		s.waiters = nil
		dead := s.dead
		prev := s.prev
		s.prev = nil
		s.mu.Unlock()
		for _, resume := range waiters {
			resume()
		}
		if note != nil && s.notes != nil {
			if f := s.notes.Load(); f != nil {
				(*f)(note)
			}
		}
		if prev != nil {
			prev.drainedWithin(closeGrace)
		}
		// only this goroutine writes while flushing is set: the batch is
		// written whole and in order without holding mu
		switch {
		case dead:
			n := uint64(max(bytes.Count(batch, []byte{'\n'}), 1))
			s.errs.Add(n)
			s.deadLost += n
		case s.rot != nil:
			// the rotator rotates before a write that would cross its
			// maximum size (1 MiB at least): whole records, a softMax at
			// most each time, so that a file ends near its maximum
			for p := batch; len(p) > 0; {
				n := len(p)
				if n > softMax {
					if n = bytes.LastIndexByte(p[:softMax], '\n') + 1; n == 0 {
						n = len(p) // one record longer than softMax
						if i := bytes.IndexByte(p, '\n'); i >= 0 {
							n = i + 1
						}
					}
				}
				s.putLocked(p[:n], report)
				p = p[n:]
			}
		default:
			s.putLocked(batch, report)
		}
		s.mu.Lock()
		s.writing = nil
		if cap(batch) <= 2*hardMax {
			s.spare = batch[:0]
		}
	}
	s.flushing = false
	if cap(s.spare) > 2*softMax {
		s.spare = nil // grown by cfkd's events past the bound: not kept idle
	}
	if s.idle != nil {
		s.idle.Broadcast()
	}
	lost, report := s.deadLost, s.report
	if s.gaveUp {
		lost = 0 // abandon takes the count: its caller says it, once
	} else {
		s.deadLost = 0
	}
	s.mu.Unlock()
	if lost > 0 {
		// closed with its queue (a FIFO whose reader stalled): said
		// once, as what it is, not as a destination that fails
		msg := fmt.Sprintf("closed with %d records it had not taken within %v: they are lost", lost, closeGrace)
		fmt.Fprintf(report, "cfkd: log destination %s: %s\n", s.name, msg)
		s.noteFailure(logrus.WarnLevel, "log destination "+msg, true)
	}
	return false
}

// dropNote is the record that says n records were dropped.
func dropNote(n uint64, name string) *logrus.Entry {
	return &logrus.Entry{
		Time: time.Now(), Level: logrus.WarnLevel,
		Message: fmt.Sprintf("%d lines dropped", n),
		Data:    logrus.Fields{"destination": name},
	}
}

// putLocked writes p; the caller is the flusher, the only writer. A failed write is counted;
// the first failure of a streak is reported to report, and so is the
// first success after it. There is no retry: the next record simply tries
// again. A rotation that failed or works again (rotator.takeNote) is
// reported too, once.
func (s *sink) putLocked(p []byte, report io.Writer) {
	s.write(p, report)
	if s.rot == nil {
		return
	}
	if msg, warn := s.rot.takeNote(); msg != "" {
		fmt.Fprintf(report, "cfkd: log destination %s: %s\n", s.name, msg)
		lvl := logrus.InfoLevel
		if warn {
			lvl = logrus.WarnLevel
		}
		s.noteFailure(lvl, msg, false) // the destination takes records: cfkd's own may say it
	}
}

// write is putLocked's write of p.
func (s *sink) write(p []byte, report io.Writer) {
	if s.partial {
		// the last failed write left part of a record: the next record
		// starts on a line of its own
		if _, err := s.w.Write([]byte{'\n'}); err != nil {
			s.errs.Add(uint64(max(bytes.Count(p, []byte{'\n'}), 1)))
			return
		}
		s.partial = false
	}
	if n, err := s.w.Write(p); err != nil {
		n = min(max(n, 0), len(p))
		s.partial = n > 0 && p[n-1] != '\n'
		lost := uint64(max(bytes.Count(p[n:], []byte{'\n'}), 1))
		s.errs.Add(lost) // records lost
		if errors.Is(err, os.ErrClosed) {
			// close gave up on the queue (closeGrace) and closed the
			// file under this write: no failure of the destination,
			// said once the flusher stops (flushBatches)
			s.deadLost += lost
			return
		}
		if !s.failing {
			s.failing = true
			s.streaks++
		}
		// said at most once per failNoteEvery, on stderr as among
		// cfkd's events: a destination whose writes fail and succeed by
		// turns said each turn, a flood on stderr (the journal)
		if !s.noted && (s.noteAt.IsZero() || time.Since(s.noteAt) >= failNoteEvery) {
			s.noted, s.noteAt = true, time.Now()
			held := ""
			if s.streaks > 1 {
				held = fmt.Sprintf("; %d earlier failures not reported", s.streaks-1)
			}
			s.streaks = 0
			fmt.Fprintf(report, "cfkd: log destination %s: %v (records are lost; further errors counted, not reported%s)\n", s.name, err, held)
			s.noteFailure(logrus.WarnLevel, fmt.Sprintf("log destination fails: %v (its records are lost until it takes them again%s)", err, held), true)
		}
		return
	}
	s.failing = false
	if s.noted {
		s.noted = false
		fmt.Fprintf(report, "cfkd: log destination %s: writable again (%d records lost so far)\n", s.name, s.errs.Load())
		s.noteFailure(logrus.InfoLevel, fmt.Sprintf("log destination writable again (%d records lost so far)", s.errs.Load()), true)
	}
}

// noteFailure hands failNote, if set, a record of cfkd's about s (lost:
// failNote's).
func (s *sink) noteFailure(lvl logrus.Level, msg string, lost bool) {
	if s.failNote != nil {
		s.failNote(s, &logrus.Entry{Time: time.Now(), Level: lvl, Message: msg, Data: logrus.Fields{"destination": s.name}}, lost)
	}
}

// release resumes the pipes held on s: the Router routes elsewhere now.
func (s *sink) release() {
	s.mu.Lock()
	waiters := s.waiters
	s.waiters = nil
	s.mu.Unlock()
	for _, resume := range waiters {
		resume()
	}
}

// unwritten is the number of records s holds not written yet: queued,
// and the batch being written (some of which a slow destination may have
// taken already: at most that many).
func (s *sink) unwritten() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.unwrittenLocked()
}

// unwrittenLocked is unwritten with s.mu held.
func (s *sink) unwrittenLocked() int {
	return bytes.Count(s.queued, []byte{'\n'}) + bytes.Count(s.writing, []byte{'\n'})
}

// close refuses further records, resumes the pipes held on s, waits up to
// closeGrace for the queue to be written, then closes a file sink (what
// is still queued then is lost, counted as write errors). stdout and
// stderr stay open and are not waited for (a stalled terminal must not
// stall a reload).
func (s *sink) close() error {
	if s.closer == nil {
		s.release()
		return nil
	}
	s.refuse()
	s.release()
	s.mu.Lock()
	gaveUp, cut := s.gaveUp, s.cut
	s.mu.Unlock()
	if cut {
		return nil // abandon closed it
	}
	if gaveUp || !s.syncWithin(closeGrace) {
		s.mu.Lock()
		s.dead = true
		s.mu.Unlock()
	}
	// a write stuck on a FIFO fails now (the file is in Go's poller)
	if s.rot == nil {
		return s.closer.Close()
	}
	// a rotating file's close waits for the write under way (the
	// rotator's lock): one that does not return (a hung disk) is left
	// to close once it does, and neither a reload nor cfkd's end is
	// held by it (REFERENCE §6.1, §7.4); what it held is lost, said
	// here as "up to N" (part of the batch may be taken)
	var err error
	if waitWithin(abandonCut, func() { err = s.closer.Close() }) {
		return err
	}
	s.mu.Lock()
	s.gaveUp = true // the flusher does not say the loss again
	lost := s.unwrittenLocked()
	report := s.report
	s.mu.Unlock()
	msg := fmt.Sprintf("closed while a write did not return within %v: up to %d records lost; the file closes once the write returns", closeGrace+abandonCut, lost)
	if report != nil {
		fmt.Fprintf(report, "cfkd: log destination %s: %s\n", s.name, msg)
	}
	s.noteFailure(logrus.WarnLevel, "log destination "+msg, true)
	return nil
}

// abandonCut bounds abandon's wait for the close of a file, then for the
// flusher whose write it cut: a write in Go's poller (a FIFO) fails at
// once; one in a system call (a file on a hung disk) goes on, and its
// batch counts whole (a rotating file's close waits for it: it is left to
// close when the write returns).
const abandonCut = 100 * time.Millisecond

// abandon is the shutdown's give-up on s, a destination that did not
// take its queue within the drain (Router.DrainToClose): from now on s
// takes no record (each counted lost); a file is closed at once, which
// cuts the write that waits, and what it held is dropped. It returns the
// records s lost, and whether that count is exact: it is once the
// flusher stopped, the records of the cut write it did not take counted
// alone; for stdout and stderr, never closed, and a write that the
// close did not cut, the batch being written counts whole (part of it
// may have been taken). The flusher does not say the loss: the caller
// does, once (REFERENCE §6.2).
func (s *sink) abandon(report io.Writer) (lost int, exact bool) {
	s.mu.Lock()
	s.gaveUp = true
	file := s.closer != nil && !s.cut
	if file {
		s.dead, s.cut = true, true
	}
	s.mu.Unlock()
	if file {
		// a rotating file's close waits for the write under way (the
		// rotator's lock): one that does not return (a hung disk) is
		// left to close once it does, its batch counted whole, and the
		// drain is not held by it (REFERENCE §7.4)
		var err error
		if waitWithin(abandonCut, func() { err = s.closer.Close() }) {
			if err != nil {
				fmt.Fprintf(report, "cfkd: closing log destination %s: %v\n", s.name, err)
			}
			exact = waitWithin(abandonCut, s.sync)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if exact {
		// the flusher stopped (and none starts again): deadLost is
		// what it dropped, and nothing is left
		return int(s.deadLost), true
	}
	// a write goes on (it counts nothing meanwhile)
	return s.unwrittenLocked(), false
}

// refuse makes put refuse records from now on (the Router routes them
// with its new state); close does it first. Its waiters are woken: a
// sink that replaced this one waits for it to be closed and idle.
func (s *sink) refuse() {
	s.mu.Lock()
	s.closed = true
	if s.idle != nil {
		s.idle.Broadcast()
	}
	s.mu.Unlock()
}

// drainedWithin waits, up to d, until s is closed and has written its
// queue: it takes no more records, so nothing it writes afterwards can
// follow a record of the sink that replaced it.
func (s *sink) drainedWithin(d time.Duration) bool {
	return waitWithin(d, func() {
		s.mu.Lock()
		for !s.closed || s.flushing {
			s.waitCond()
		}
		s.mu.Unlock()
	})
}

// reopen makes a rotating sink open its file afresh on its next write
// (logrotate moved it): what was queued before goes to the old file.
// A write that does not return (a hung disk) holds the rotator's lock:
// the close is then left to happen once it returns, and the reload is
// not held by it (REFERENCE §6.1); nothing is lost.
func (s *sink) reopen() error {
	s.syncWithin(closeGrace)
	var err error
	if waitWithin(abandonCut, func() { err = s.rot.Close() }) {
		return err
	}
	return fmt.Errorf("a write did not return within %v: the file is reopened once it does", closeGrace+abandonCut)
}

// syncWithin is sync bounded by d (for stdout and stderr at exit); it
// reports whether everything was written.
func (s *sink) syncWithin(d time.Duration) bool { return waitWithin(d, s.sync) }

// waitWithin runs wait on a goroutine of its own and reports whether it
// returned within d; if not, it is left to return on its own.
func waitWithin(d time.Duration, wait func()) bool {
	done := make(chan struct{})
	go func() { wait(); close(done) }()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

// openFile opens path for appending (created 0600 if missing). With
// maxSizeMB > 0 the file is handed to a rotator (rotate.go), which opens
// it itself on the first write; it is opened here all the same, so that an unopenable
// path is an error now rather than a lost record later.
//
// O_NONBLOCK: a FIFO without a reader is an error (ENXIO) instead of an
// open that blocks cfkd's reload forever (regular files ignore the flag; a
// FIFO with a reader is then written through Go's poller).
func openFile(path string, maxSizeMB, maxBackups int) (*sink, error) {
	f, err := openAppend(path)
	if err != nil {
		return nil, err
	}
	s := &sink{name: "file:" + path, maxSizeMB: maxSizeMB, maxBackups: maxBackups, tally: new(tally)}
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		s.inline = true
	}
	// only a regular file rotates: the rotator opens its file itself,
	// blocking (a FIFO nobody reads would hang its open for good), and a
	// FIFO or a device has no size to rotate at
	if maxSizeMB <= 0 || !s.inline {
		s.w, s.closer = f, f
		return s, nil
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	s.rot = newRotator(path, maxSizeMB, maxBackups)
	s.w, s.closer = s.rot, shutter{s.rot} // a reload's reopen is rot.Close
	return s, nil
}

// probe checks that path can still be opened for appending (creating it,
// as logrotate's move leaves no file behind).
func probe(path string) error {
	f, err := openAppend(path)
	if err != nil {
		return err
	}
	return f.Close()
}

// openAppend opens path for appending, creating it, without waiting (see
// openFile). Its ENXIO, which only a FIFO nobody reads gives, says so:
// "no such device or address" alone does not tell a user what to do
// (REFERENCE §6.1).
func openAppend(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY|syscall.O_NONBLOCK, 0o600)
	if errors.Is(err, syscall.ENXIO) {
		if st, serr := os.Stat(path); serr == nil && st.Mode()&os.ModeNamedPipe != 0 {
			return nil, fmt.Errorf("%w (a FIFO no process has open for reading: start its reader first)", err)
		}
	}
	return f, err
}
