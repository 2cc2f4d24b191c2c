package actors

import (
	"errors"
	"os"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"
)

// What a failed try of a ready=exec: probe says of its stderr (REFERENCE
// §2.9): its last line, of the last probeTail bytes it wrote, after the
// try's own failure (`exit status 7: curl: (7) Failed to connect to
// 127.0.0.1 port 8080 ...`). Its stdout goes to /dev/null, as its stderr
// did: a probe's output is neither the service's log nor its tail.

// probeTail bounds what a try keeps of its stderr.
const probeTail = 512

// probeDrain bounds what is read of a try's stderr once its process has
// exited: what was in the pipe then (a pipe holds 1 MiB at most, unless
// root raised fs.pipe-max-size), not what a process it left writes on.
const probeDrain = 1 << 20

// tryStderr is the stderr of one try: a pipe whose write end is the
// try's fd 2 and whose read end the launch hands back
// (osproc.Spec.StderrPipe, Process.Stderr), made by the launch once it
// holds its fork slot, within the fds cfkd budgets for its launches
// (never the last osproc.FdReserve, REFERENCE §7.6): a try waiting for
// its turn holds no fd, and a want of fds is the launch's, cfkd's
// shortage. A goroutine of the try reads it, keeping the tail, until
// end. One pipe a try, its read end closed at the try's end: a daemon
// the probe forked, holding the write end, holds nothing of cfkd's.
type tryStderr struct {
	r    *os.File // nil: no pipe (a launcher that made none)
	tail chan []byte
}

// readTryStderr starts reading r, the read end of a try's stderr, in a
// goroutine of its own.
func readTryStderr(r *os.File) *tryStderr {
	e := &tryStderr{r: r, tail: make(chan []byte, 1)}
	if r != nil {
		go e.read()
	}
	return e
}

// read keeps the last probeTail bytes (at least) of what the try writes,
// until the pipe's end of file or end: then what is in the pipe already,
// read without waiting, at most probeDrain bytes. It runs in its own
// goroutine, never an actor's.
func (e *tryStderr) read() {
	var tail []byte
	buf := make([]byte, 4096)
	keep := func(b []byte) {
		tail = append(tail, b...)
		if len(tail) > 2*probeTail {
			tail = tail[:copy(tail, tail[len(tail)-probeTail:])]
		}
	}
	for {
		n, err := e.r.Read(buf)
		keep(buf[:n])
		if err == nil {
			continue
		}
		if errors.Is(err, os.ErrDeadlineExceeded) && e.r.SetReadDeadline(time.Time{}) == nil {
			// the try's process exited: what it wrote is in the pipe
			if rc, err := e.r.SyscallConn(); err == nil {
				rc.Read(func(fd uintptr) bool {
					for got := 0; got < probeDrain; {
						n, err := syscall.Read(int(fd), buf)
						if n <= 0 || err != nil {
							break
						}
						keep(buf[:n])
						got += n
					}
					return true // no wait: EAGAIN is the end of it
				})
			}
		}
		break
	}
	e.tail <- tail
}

// end stops read, once the try's process has exited (or been killed and
// reaped), closes the read end and returns the last line of the tail.
func (e *tryStderr) end() string {
	if e.r == nil {
		return ""
	}
	if e.r.SetReadDeadline(time.Now()) != nil {
		// a pipe out of the runtime's poller (never on Linux): its read
		// is not to be stopped, and the try does not wait for its end
		e.r.Close()
		return ""
	}
	tail := <-e.tail
	e.r.Close()
	return lastLine(tail)
}

// lastLine is the last line of tail that holds more than blanks, of its
// last probeTail bytes, what follows its last CR too (what a terminal
// shows of a line a progress meter rewrote), trimmed. It is kept as it
// is, quoted in a message which the log escapes (REFERENCE §6.2), as the
// events and cfkctl do: escaped here, a probe's ESC would be logged
// `\\x1b`, as a backslash it wrote.
func lastLine(tail []byte) string {
	cut := len(tail) > probeTail
	if cut {
		tail = tail[len(tail)-probeTail:]
	}
	s := strings.TrimRight(string(tail), " \t\r\n\v\f")
	if i := strings.LastIndexAny(s, "\r\n"); i >= 0 {
		s, cut = s[i+1:], false
	}
	if cut { // the tail may begin inside a character
		for s != "" && !utf8.RuneStart(s[0]) {
			s = s[1:]
		}
	}
	return strings.TrimSpace(s)
}
