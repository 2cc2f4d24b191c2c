package osproc

import (
	"bytes"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// MaxLine is the longest line Pump emits; a longer line is emitted in
// pieces of MaxLine bytes.
const MaxLine = 16 << 10

const readSize = 64 << 10 // a full pipe in one read

// grownPipe is the capacity asked for the output pipe of a child that
// fills the read buffer, and grownRead the reads of such a pipe
// (REFERENCE §6.2): larger, fewer wake-ups a line, but not so large that
// the records of one read fill a log destination's queue (logconf's
// softMax, 256 KiB: they would hold the pipe at every read).
const (
	grownPipe = 1 << 20
	grownRead = 128 << 10
)

// maxGrown bounds the pipes of a poller grown at a time (their kernel
// memory: up to 16 MiB; their share of the user's pipe pages,
// pipe-user-pages-soft: 4,096 pages of the default 16,384, past which a
// user's new pipes get only 2 pages).
const maxGrown = 16

var readBufs = sync.Pool{New: func() any { b := make([]byte, readSize); return &b }}

// Pump reads f until EOF or error and calls emit for every line, as
// lineSplitter cuts them: without its line ending ("\n" or "\r\n"), a
// line longer than max (max <= 0: MaxLine) in pieces of max bytes, a last
// line without "\n" emitted at EOF. emit's argument is only valid during
// the call. Pump closes f when done.
//
// Pump is for one file read by its own goroutine; the output pipes of the
// children of a Launcher are read by its one output poller instead (see
// poller), which cuts lines the same way.
//
// Memory: while f has nothing to read, Pump holds no buffer at all (it
// borrows one from a pool only for the time of a read, when f is a
// non-blocking pollable file); a partial line is kept, at most max bytes
// (max+1 when the last is a '\r' that may be the start of a "\r\n").
func Pump(f *os.File, max int, emit func(line []byte)) {
	defer f.Close()
	s := newLineSplitter(max, emit)
	if rc, ok := polled(f); ok {
		pumpPolled(rc, func(b []byte) { s.feed(b) })
	} else {
		pumpBlocking(f, func(b []byte) { s.feed(b) })
	}
	s.flush()
}

// lineSplitter cuts a byte stream fed in chunks of any size into lines:
// each line is emitted without its line ending ("\n" or "\r\n"); a line
// longer than max is emitted in pieces of max bytes; flush emits the last
// line when it has no "\n". emit's argument is only valid during the call
// (it may point into the chunk fed or into the splitter's own carry-over).
//
// It is the one place where lines are cut: Pump and the output poller both
// use it. Memory: only the partial line that the next chunk continues is
// kept, at most max bytes (max+1 when the last is a '\r' that may be the
// start of a "\r\n"), and released (nil) whenever a chunk ends a line.
type lineSplitter struct {
	partial []byte // the line not ended yet; nil when empty
	max     int
	emit    func(line []byte)
	// emitRun, when set, takes the whole lines of a chunk at once, as
	// they were read (each ending with "\n"; one longer than max is for
	// it to cut, as Lines.Next does): the output poller's batch form
	// (Lines). A line that continues the partial one, or the end of a
	// chunk without "\n", still goes through emit. It returns the bytes
	// at the end of the run it did not take (it held: they are part of
	// the rest).
	emitRun func(run []byte, max int) (left int)
	// held, set by an emit (the output poller's backpressure: see
	// HoldOutput), makes feed stop after the line being emitted and
	// return the rest of its chunk. Pump never sets it.
	held bool
}

// newLineSplitter returns a splitter of lines of at most max bytes (max <=
// 0: MaxLine) that calls emit.
func newLineSplitter(max int, emit func(line []byte)) *lineSplitter {
	if max <= 0 {
		max = MaxLine
	}
	return &lineSplitter{max: max, emit: emit}
}

// feed cuts chunk, the next bytes of the stream, into lines, and returns
// what it did not consume: nothing, unless an emit set s.held, which stops
// it after that line (the rest is for a later feed). chunk is not kept
// after feed returns; the rest is a part of it.
func (s *lineSplitter) feed(chunk []byte) (rest []byte) {
	for len(chunk) > 0 && !s.held {
		if s.emitRun != nil && len(s.partial) == 0 {
			// the whole lines at once, found with one look from the end
			if j := bytes.LastIndexByte(chunk, '\n'); j >= 0 {
				chunk = s.feedRun(chunk, j+1)
				continue
			}
		}
		i := bytes.IndexByte(chunk, '\n')
		if i < 0 {
			s.partial = appendBounded(s.partial, chunk, s.max, s.emit)
			chunk = nil
			break
		}
		line := chunk[:i]
		if len(s.partial) > 0 || len(line) > s.max {
			s.partial = appendBounded(s.partial, line, s.max, s.emit)
			line, s.partial = s.partial, s.partial[:0]
		}
		s.emit(trimCR(line))
		chunk = chunk[i+1:]
	}
	if len(s.partial) == 0 {
		s.partial = nil // release the carry-over between lines
	}
	return chunk
}

// feedRun emits chunk[:end], whole lines, as one run, and returns the
// rest of chunk: after the run, or after what it took of it when it held.
func (s *lineSplitter) feedRun(chunk []byte, end int) []byte {
	left := s.emitRun(chunk[:end], s.max)
	if !s.held {
		left = 0 // not taken and not held: lost, as the callback chose
	}
	return chunk[end-left:]
}

// flush ends the stream: the partial line, if any, is emitted as it
// is. A '\r' at its end stays: no "\n" follows it, so it ends no line
// (REFERENCE §2.1: "\n" or "\r\n" removed); the one kept past max, in
// case a "\n" followed, is a piece of its own.
func (s *lineSplitter) flush() {
	if len(s.partial) > s.max {
		s.emit(s.partial[:s.max])
		s.partial = s.partial[s.max:]
	}
	if len(s.partial) > 0 {
		s.emit(s.partial)
	}
	s.partial = nil
}

// polled returns the RawConn of f when f's fd is non-blocking (os.NewFile
// then puts it in Go's poller). A blocking fd would block inside RawConn.Read
// while holding a pool buffer: read it with the plain blocking loop instead.
func polled(f *os.File) (syscall.RawConn, bool) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, false
	}
	nonblock := false
	if err := rc.Control(func(fd uintptr) {
		fl, err := unix.FcntlInt(fd, unix.F_GETFL, 0)
		nonblock = err == nil && fl&unix.O_NONBLOCK != 0
	}); err != nil {
		return nil, false
	}
	return rc, nonblock
}

func pumpPolled(rc syscall.RawConn, consume func([]byte)) {
	for done := false; !done; {
		err := rc.Read(func(fd uintptr) bool {
			bp := readBufs.Get().(*[]byte)
			defer readBufs.Put(bp)
			n, err := syscall.Read(int(fd), *bp)
			switch {
			case err == syscall.EAGAIN:
				return false // wait for the poller
			case err == syscall.EINTR:
				return true
			case err != nil || n == 0:
				done = true
				return true
			}
			consume((*bp)[:n])
			return true
		})
		if err != nil {
			return
		}
	}
}

func pumpBlocking(f *os.File, consume func([]byte)) {
	bp := readBufs.Get().(*[]byte)
	defer readBufs.Put(bp)
	for {
		n, err := f.Read(*bp)
		if n > 0 {
			consume((*bp)[:n])
		}
		if err != nil {
			return
		}
	}
}

// appendBounded appends b to partial and emits the pieces of max bytes that
// are known to be complete. partial holds at most max bytes, or max+1 when
// the last one is '\r': that may be the CR of a CRLF, and a line of max
// bytes + "\r\n" must give one line, not a piece and an empty line.
func appendBounded(partial, b []byte, max int, emit func([]byte)) []byte {
	for len(b) > 0 {
		take := min(len(b), max+1-len(partial))
		partial = append(partial, b[:take]...)
		b = b[take:]
		if len(partial) == max+1 && (len(b) > 0 || partial[max] != '\r') {
			emit(partial[:max])
			partial = append(partial[:0], partial[max])
		}
	}
	return partial
}

func trimCR(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\r' {
		return b[:n-1]
	}
	return b
}
