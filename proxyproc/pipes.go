package proxyproc

import (
	"bufio"
	"bytes"
	"io"
	"strconv"
	"sync"
	"time"
)

// MaxCommandLine is the longest command line read; a longer one is read to
// its end, dropped and logged.
const MaxCommandLine = 1 << 20

// logQueueLen is how many log lines may wait for the log pipe; beyond that
// lines are dropped (and the number dropped logged) rather than blocking
// the output poller, which every child's output waits on.
const logQueueLen = 4096

// statusWriter writes status lines; a mutex keeps each line whole.
type statusWriter struct {
	mu sync.Mutex
	w  io.Writer
}

// write writes one status line. Errors are dropped: cfkd is gone, and the
// command pipe's EOF will say so.
func (s *statusWriter) write(st Status) {
	b := EncodeStatus(st)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.w.Write(b)
}

// logWriter is the one writer of the log pipe: a goroutine fed by a
// bounded queue, so callers (the output poller among them) never block.
type logWriter struct {
	w       io.Writer
	mu      sync.Mutex // guards closed and sends on ch
	closed  bool
	ch      chan []byte
	dropped int // guarded by mu
	done    chan struct{}
}

func newLogWriter(w io.Writer) *logWriter {
	l := &logWriter{w: w, ch: make(chan []byte, logQueueLen), done: make(chan struct{})}
	go l.run()
	return l
}

// line queues TYPE:NAME:MSG; msg is copied.
func (l *logWriter) line(typ, name string, msg []byte) {
	b := appendLogLine(make([]byte, 0, len(typ)+len(name)+len(msg)+3), typ, name, msg)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	select {
	case l.ch <- b:
	default:
		l.dropped++
	}
}

func (l *logWriter) run() {
	defer close(l.done)
	var buf bytes.Buffer
	for b := range l.ch {
		buf.Reset()
		buf.Write(b)
	more: // write what is queued in one go
		for buf.Len() < 64<<10 {
			select {
			case b, ok := <-l.ch:
				if !ok {
					break more
				}
				buf.Write(b)
			default:
				break more
			}
		}
		l.mu.Lock()
		d := l.dropped
		l.dropped = 0
		l.mu.Unlock()
		if d > 0 {
			buf.Write(appendLogLine(nil, "err", SelfName, []byte(strconv.Itoa(d)+" log lines dropped: cfkd does not read the log pipe")))
		}
		l.w.Write(buf.Bytes()) // errors dropped: cfkd is gone
	}
}

// close stops taking lines, and waits (at most timeout) for the queued ones
// to be written.
func (l *logWriter) close(timeout time.Duration) {
	l.mu.Lock()
	if !l.closed {
		l.closed = true
		close(l.ch)
	}
	l.mu.Unlock()
	select {
	case <-l.done:
	case <-time.After(timeout):
	}
}

// readLines sends each line of r (without "\n") on out until EOF or an
// error, which it puts on errc before closing out. Lines longer than
// MaxCommandLine are skipped and reported with tooLong. It stops when quit
// is closed.
func readLines(r io.Reader, out chan<- []byte, errc chan<- error, quit <-chan struct{}, tooLong func(int)) {
	defer close(out)
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
		if len(line) > 0 && !skipping {
			select {
			case out <- bytes.TrimSuffix(line, []byte("\n")):
			case <-quit:
				errc <- nil
				return
			}
		}
		if err != nil {
			errc <- err
			return
		}
		line, skipping = nil, false
	}
}
