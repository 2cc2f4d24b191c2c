package logconf

import (
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cfk/cfk/osproc"
)

// setHotReader makes every caller look like an osproc hot reader (or
// not) for the test.
func setHotReader(t *testing.T, hot bool) {
	old := onHotReader
	onHotReader = func() bool { return hot }
	t.Cleanup(func() { onHotReader = old })
}

// A hot reader's lines to a regular file are written in its own call:
// it waits for the write (only its service waits, REFERENCE §6.2). Any
// other caller, and a hot reader whose destination is not a regular file,
// only queues them: a blocked destination never blocks it.
func TestHotReaderWritesInline(t *testing.T) {
	for _, c := range []struct {
		name          string
		hot, regular  bool
		waitsForWrite bool
	}{
		{"hot reader, regular file", true, true, true},
		{"poller, regular file", false, true, false},
		{"hot reader, not a regular file", true, false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			setHotReader(t, c.hot)
			f := newFixture(t)
			w := &gate{blocking: blocking{started: make(chan struct{}), release: make(chan struct{})}, to: f.stdout}
			f.r.stdout.w = w
			f.r.stdout.inline = c.regular // stdout stands for a destination of that kind
			f.stdout.before = nil
			f.apply(t, "cfkd = file:cfkd.log\nservices = stdout\n")
			returned := make(chan struct{})
			go func() {
				f.r.ServiceLines("svc", "out", 7, osproc.RunOf([]byte("one\ntwo\n")))
				close(returned)
			}()
			<-w.started // the write began
			if c.waitsForWrite {
				// nothing returns while the write is held
				select {
				case <-returned:
					t.Fatal("returned before its write was done: not written in its call")
				case <-time.After(200 * time.Millisecond):
				}
			} else {
				// returns with the write held, within 10 s: not 200 ms,
				// which a loaded machine under -race can stall the
				// caller's goroutine past
				select {
				case <-returned:
				case <-time.After(10 * time.Second):
					close(w.release)
					t.Fatal("waited for the destination's write (still waiting after 10s)")
				}
			}
			close(w.release)
			<-returned
			f.r.Sync()
			if out := f.stdout.String(); strings.Count(out, " INFO service.svc.out - ") != 2 {
				t.Fatalf("records: %q", out)
			}
		})
	}
}

// A destination is written by a hot reader only when it is a regular
// file: never a FIFO (which can block for ever).
func TestInlineOnlyRegularFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := mkfifoReader(t, fifo); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what, path string
		maxSizeMB  int
		inline     bool
	}{
		{"a regular file", filepath.Join(dir, "a.log"), 0, true},
		{"a rotating regular file", filepath.Join(dir, "r.log"), 1, true},
		{"a FIFO", fifo, 0, false},
	} {
		s, err := openFile(c.path, c.maxSizeMB, 1)
		if err != nil {
			t.Fatal(err)
		}
		defer s.close()
		if s.inline != c.inline {
			t.Errorf("%s: written inline %v, want %v", c.what, s.inline, c.inline)
		}
	}
}

// stages blocks its first writes, each until its own release.
type stages struct {
	mu       sync.Mutex
	n        int
	started  [2]chan struct{}
	release  [2]chan struct{}
	received []string
}

func newStages() *stages {
	s := &stages{}
	for i := range 2 {
		s.started[i], s.release[i] = make(chan struct{}), make(chan struct{})
	}
	return s
}

func (s *stages) Write(p []byte) (int, error) {
	s.mu.Lock()
	i := s.n
	s.n++
	s.mu.Unlock()
	if i < 2 {
		close(s.started[i])
		<-s.release[i]
	}
	s.mu.Lock()
	s.received = append(s.received, string(p))
	s.mu.Unlock()
	return len(p), nil
}

// A hot reader's inline flush writes one batch, what was queued when it
// began: the records queued meanwhile by others go to a flusher
// goroutine, and the hot reader returns to its pipe after its one write.
func TestHotReaderFlushesOneBatch(t *testing.T) {
	setHotReader(t, true)
	w := newStages()
	s := &sink{name: "file:x", w: w, inline: true, tally: new(tally)}
	returned := make(chan struct{})
	go func() {
		s.putLines(osproc.RunOf([]byte("mine\n")), 96, false, io.Discard, nil, func(b, _, l []byte) []byte { return append(append(b, l...), '\n') })
		close(returned)
	}()
	<-w.started[0] // the hot reader writes its batch
	s.queue([]byte("other\n"), io.Discard)
	close(w.release[0])
	select {
	case <-returned:
	case <-time.After(10 * time.Second):
		close(w.release[1])
		t.Fatal("the hot reader went on writing the records queued after its batch")
	}
	<-w.started[1] // written by a flusher goroutine
	close(w.release[1])
	s.sync()
	w.mu.Lock()
	defer w.mu.Unlock()
	if strings.Join(w.received, "") != "mine\nother\n" {
		t.Fatalf("written %q", w.received)
	}
}
