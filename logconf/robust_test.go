package logconf

import (
	"bytes"
	"io"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestPanickingValueKeepsSinkUsable: an error field whose Error panics (a
// typed nil *os.PathError) is written as logrus writes it, "<nil>", and a
// panic while a record is formatted (here a value's MarshalJSON) leaves
// the destination usable. The panic used to leave the sink locked: every
// later record to it waited for good.
func TestPanickingValueKeepsSinkUsable(t *testing.T) {
	f := newFixture(t)
	f.apply(t, "cfkd = file:cfkd.log\n")
	var perr *os.PathError // typed nil: its Error dereferences it
	within(t, 5*time.Second, "a record with a typed nil error", func() {
		f.log.WithError(perr).Error("with a typed nil error")
	})
	f.apply(t, "format = json\ncfkd = file:cfkd.log\n")
	func() {
		defer func() { recover() }()
		f.log.WithField("v", panicJSON{}).Error("with a panicking value")
	}()
	within(t, 5*time.Second, "a record after a panic", func() { f.log.Info("after") })
	out := f.read(t, "cfkd.log")
	if !strings.Contains(out, "error=\"<nil>\"") && !strings.Contains(out, "error=<nil>") {
		t.Errorf("the typed nil error not written as <nil>:\n%s", out)
	}
	if !strings.Contains(out, `"msg":"after"`) {
		t.Errorf("the record after the panic is missing:\n%s", out)
	}
}

type panicJSON struct{}

func (panicJSON) MarshalJSON() ([]byte, error) { panic("no JSON") }

// shortOnce writes part of its first write and fails it (ENOSPC: a disk
// that filled up mid-write, as *os.File.Write reports it), then writes
// everything.
type shortOnce struct {
	mu   sync.Mutex
	done bool
	b    bytes.Buffer
}

func (w *shortOnce) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.done = true
		n := len(p) / 2
		w.b.Write(p[:n])
		return n, syscall.ENOSPC
	}
	return w.b.Write(p)
}

// TestShortWriteKeepsRecordsApart: a write that fails after part of a
// batch leaves a piece of a record in the destination; the next record
// starts on a line of its own (it was appended to the piece: two records
// in one line), and the record cut is counted lost.
func TestShortWriteKeepsRecordsApart(t *testing.T) {
	w := &shortOnce{}
	s := &sink{name: "file:x", w: w, tally: new(tally)}
	s.queue([]byte("record one\n"), io.Discard)
	s.sync()
	s.queue([]byte("record two\n"), io.Discard)
	s.sync()
	w.mu.Lock()
	out := w.b.String()
	w.mu.Unlock()
	if out != "recor\nrecord two\n" {
		t.Errorf("destination %q, want the piece of record one, then record two on its own line", out)
	}
	if n := s.errs.Load(); n != 1 {
		t.Errorf("%d records counted lost, want 1", n)
	}
}
