package testkit

import (
	"bytes"
	"os"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"
)

// FIFO is the reader of a FIFO a test gives cfkd as a log destination.
// It is opened read-write and non-blocking: its own writer, so that its
// reads wait in Go's poller and never see an end of file while cfkd has
// it closed; once closed (Stop), the FIFO has no reader and cfkd's
// writes to it fail (EPIPE). Nothing is read until Start.
type FIFO struct {
	f       *os.File
	keep    bool
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed and replaced at each read kept
	done    chan struct{} // nil until started
}

// OpenFIFO opens the FIFO at path, not read until Start; a cleanup of t
// stops it.
func OpenFIFO(t testing.TB, path string) *FIFO {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	r := &FIFO{f: f, changed: make(chan struct{})}
	t.Cleanup(r.Stop)
	return r
}

// DrainFIFO opens the FIFO at path and reads it, discarding what it
// reads, until the returned stop (also a cleanup of t).
func DrainFIFO(t testing.TB, path string) (stop func()) {
	t.Helper()
	r := OpenFIFO(t, path)
	r.start(false)
	return r.Stop
}

// Start reads the FIFO, keeping what it reads for Until, until Stop.
func (r *FIFO) Start() { r.start(true) }

func (r *FIFO) start(keep bool) {
	r.keep, r.done = keep, make(chan struct{})
	go func() {
		defer close(r.done)
		b := make([]byte, 64<<10)
		for {
			n, err := r.f.Read(b) // in Go's poller: Close ends it
			if n > 0 && r.keep {
				r.mu.Lock()
				r.buf.Write(b[:n])
				close(r.changed)
				r.changed = make(chan struct{})
				r.mu.Unlock()
			}
			if err != nil {
				return // closed
			}
		}
	}()
}

// Stop closes the FIFO (and waits for its reads, if started). Once is
// enough; again does nothing.
func (r *FIFO) Stop() {
	r.f.Close()
	if r.done != nil {
		<-r.done
	}
}

// Until waits, for within at most, for re in what was read, and returns
// its first group.
func (r *FIFO) Until(t testing.TB, re *regexp.Regexp, within time.Duration) string {
	t.Helper()
	timer := time.NewTimer(within)
	defer timer.Stop()
	for {
		r.mu.Lock()
		m, changed := re.FindSubmatch(r.buf.Bytes()), r.changed
		r.mu.Unlock()
		if m != nil {
			return string(m[1])
		}
		select {
		case <-changed:
		case <-timer.C:
			r.mu.Lock()
			defer r.mu.Unlock()
			t.Fatalf("no %q in what was read after %v: %.2000q", re, within, r.buf.String())
		}
	}
}
