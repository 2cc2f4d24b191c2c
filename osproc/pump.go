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

const readSize = 16 << 10

var readBufs = sync.Pool{New: func() any { b := make([]byte, readSize); return &b }}

// Pump reads f until EOF or error and calls emit for every line, without
// its line ending ("\n" or "\r\n"). A line longer than max (max <= 0:
// MaxLine) is emitted in pieces of max bytes; a last line without "\n" is
// emitted at EOF. emit's argument is only valid during the call. Pump
// closes f when done.
//
// Memory: while f has nothing to read, Pump holds no buffer at all (it
// borrows one from a pool only for the time of a read, when f is a
// non-blocking pollable file); a partial line is kept, at most max bytes
// (max+1 when the last is a '\r' that may be the start of a "\r\n").
func Pump(f *os.File, max int, emit func(line []byte)) {
	defer f.Close()
	if max <= 0 {
		max = MaxLine
	}
	var partial []byte
	consume := func(chunk []byte) {
		for len(chunk) > 0 {
			i := bytes.IndexByte(chunk, '\n')
			if i < 0 {
				partial = appendBounded(partial, chunk, max, emit)
				return
			}
			line := chunk[:i]
			if len(partial) > 0 || len(line) > max {
				partial = appendBounded(partial, line, max, emit)
				line, partial = partial, partial[:0]
			}
			emit(trimCR(line))
			chunk = chunk[i+1:]
		}
		if len(partial) == 0 {
			partial = nil // release the carry-over between lines
		}
	}

	if rc, ok := polled(f); ok {
		pumpPolled(rc, consume)
	} else {
		pumpBlocking(f, consume)
	}
	if len(partial) > 0 {
		emit(trimCR(partial))
	}
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
