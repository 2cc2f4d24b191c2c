package proxyproc

import (
	"bufio"
	"bytes"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/cfk/cfk/proxywire"
)

// MaxCommandLine is the longest command line read, its "\n" included; a
// longer one is read to its end, dropped and logged (cfkd never sends one).
const MaxCommandLine = proxywire.MaxCommandLine

// logQueueBytes bounds the log lines waiting for the log pipe (in bytes);
// beyond that lines are dropped (and the number dropped logged) rather than
// blocking the output poller, which every child's output waits on. It is
// large because the original proxy never dropped a line (it blocked,
// slowing every service down): a burst of a few MB of output is only
// delayed, while cfkd logs it line by line.
const logQueueBytes = 16 << 20

// statusWriter writes status lines; a mutex keeps each line whole.
type statusWriter struct {
	mu sync.Mutex
	w  io.Writer
}

// write writes one status line. Errors are dropped: cfkd is gone, and the
// command pipe's EOF will say so.
func (s *statusWriter) write(st proxywire.Status) {
	b := proxywire.EncodeStatus(st)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.w.Write(b)
}

// logWriter is the one writer of the log pipe: a goroutine fed by a
// queue bounded by logQueueBytes, so callers (the output poller among
// them) never block.
type logWriter struct {
	w    io.Writer
	wake chan struct{} // cap 1: there are lines, or closed
	done chan struct{}

	mu      sync.Mutex // guards the fields below
	closed  bool
	queue   [][]byte
	size    int // bytes in queue
	dropped int
	limit   int
}

func newLogWriter(w io.Writer) *logWriter {
	l := &logWriter{w: w, wake: make(chan struct{}, 1), done: make(chan struct{}), limit: logQueueBytes}
	go l.run()
	return l
}

// line queues TYPE:NAME:MSG; msg is copied. A message too long for one
// line of proxywire.PipeBuf bytes is queued as several lines, each with the
// prefix (proxywire.EncodeLog).
func (l *logWriter) line(typ, name string, msg []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	for _, b := range proxywire.EncodeLog(typ, name, msg) {
		if l.size+len(b) > l.limit {
			l.dropped++
			continue
		}
		l.queue = append(l.queue, b)
		l.size += len(b)
	}
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// run writes the queued lines, several in one write when they are queued
// together, but never more than proxywire.PipeBuf bytes in one write, and
// never a part of a line (see proxywire.PipeBuf). Write errors are
// dropped: cfkd is gone.
func (l *logWriter) run() {
	defer close(l.done)
	var buf bytes.Buffer
	put := func(b []byte) {
		if buf.Len() > 0 && buf.Len()+len(b) > proxywire.PipeBuf {
			l.w.Write(buf.Bytes())
			buf.Reset()
		}
		buf.Write(b)
	}
	for range l.wake {
		for {
			l.mu.Lock()
			q, d, closed := l.queue, l.dropped, l.closed
			l.queue, l.size, l.dropped = nil, 0, 0
			l.mu.Unlock()
			if len(q) == 0 && d == 0 {
				if closed {
					return
				}
				break
			}
			for _, b := range q {
				put(b)
			}
			if d > 0 {
				for _, b := range proxywire.EncodeLog(proxywire.StreamErr, proxywire.SelfName,
					[]byte(strconv.Itoa(d)+" log lines dropped: cfkd does not read the log pipe fast enough")) {
					put(b)
				}
			}
			if buf.Len() > 0 {
				l.w.Write(buf.Bytes())
				buf.Reset()
			}
		}
	}
}

// close stops taking lines, and waits (at most timeout) for the queued ones
// to be written.
func (l *logWriter) close(timeout time.Duration) {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
	select {
	case <-l.done:
	case <-time.After(timeout):
	}
}

// readLines queues each line of r (without "\n") on q until EOF or an
// error, which it records with q.end. Lines longer than MaxCommandLine are
// skipped and reported with tooLong. While q is full it reads no more,
// until the loop took a line or quit is closed (then it returns).
func readLines(r io.Reader, q *cmdQueue, quit <-chan struct{}, tooLong func(int)) {
	br := bufio.NewReaderSize(r, 64<<10)
	var line []byte
	skipping := false
	for {
		frag, err := br.ReadSlice('\n')
		if !skipping {
			line = append(line, frag...)
			if len(line) > MaxCommandLine {
				skipping, line = true, nil
				tooLong(MaxCommandLine)
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if len(line) > 0 && !skipping && !q.push(bytes.TrimSuffix(line, []byte("\n"))) {
			for full := true; full; {
				select {
				case <-q.room:
					q.mu.Lock()
					full = q.size >= q.limit
					q.mu.Unlock()
				case <-quit:
					return
				}
			}
		}
		if err != nil {
			q.end(err)
			return
		}
		line, skipping = nil, false
	}
}
