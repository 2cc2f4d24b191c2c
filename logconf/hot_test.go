package logconf

import (
	"path/filepath"
	"strings"
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
			select {
			case <-returned:
				if c.waitsForWrite {
					t.Fatal("returned before its write was done: not written in its call")
				}
			case <-time.After(200 * time.Millisecond):
				if !c.waitsForWrite {
					close(w.release)
					t.Fatal("waited for the destination's write")
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
	s, err := openFile(filepath.Join(dir, "a.log"), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	if !s.inline {
		t.Error("a regular file is not written inline")
	}
	rot, err := openFile(filepath.Join(dir, "r.log"), 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer rot.close()
	if !rot.inline {
		t.Error("a rotating regular file is not written inline")
	}
	fifo := filepath.Join(dir, "fifo")
	if err := mkfifoReader(t, fifo); err != nil {
		t.Fatal(err)
	}
	p, err := openFile(fifo, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	if p.inline {
		t.Error("a FIFO is written inline")
	}
}
