package logconf

import (
	"strings"
	"sync"
	"testing"
	"time"
)

// A shutdown drains the destinations before its last record, then closes
// them (REFERENCE §7.4): a file that did not take its queue within the
// drain (a FIFO whose reader stalled) is closed at once, not after
// closeGrace more, and what it held is lost, counted and said on stderr
// as a close after closeGrace says it.
func TestDrainToCloseDoesNotWaitTwice(t *testing.T) {
	f, fifo, old := stalledFifo(t)
	w := f.r.DrainToClose(100 * time.Millisecond)
	if len(w) != 1 || w[0].Destination != "file:"+fifo || w[0].Records == 0 {
		t.Fatalf("DrainToClose gave up on %+v, want the FIFO with its records", w)
	}
	start := time.Now()
	within(t, 10*time.Second, "Close", func() { f.r.Close() })
	if took := time.Since(start); took >= closeGrace/2 {
		t.Errorf("Close after DrainToClose took %v: it waited for the FIFO again", took)
	}
	within(t, 10*time.Second, "the loss said on stderr", func() {
		for !strings.Contains(f.report.String(), "records it had not taken") {
			time.Sleep(5 * time.Millisecond)
		}
	})
	if old.errs.Load() == 0 {
		t.Errorf("the records the FIFO did not take are not counted lost")
	}
}

// stallWriter is a terminal whose reader hangs: every Write waits until
// the test ends.
type stallWriter struct {
	once    sync.Once
	release chan struct{}
}

func newStallWriter(t *testing.T) *stallWriter {
	w := &stallWriter{release: make(chan struct{})}
	t.Cleanup(func() { w.once.Do(func() { close(w.release) }) })
	return w
}

func (w *stallWriter) Write(p []byte) (int, error) {
	<-w.release
	return len(p), nil
}

// A shutdown whose stderr stalls (a pipe whose reader hangs) takes the
// drain's 1 s, not 2 (REFERENCE §7.4): Close waited a second more for
// stderr, which the drain had given up on.
func TestCloseAfterDrainToCloseDoesNotWaitForAStalledStderr(t *testing.T) {
	f := newFixture(t)
	f.r.stderr.w = newStallWriter(t)
	f.apply(t, "cfkd = file:cfkd.log\nservices = stderr\n")
	f.r.ServiceLine("w", "out", 7, []byte("never taken"))
	w := f.r.DrainToClose(100 * time.Millisecond)
	if len(w) != 1 || w[0].Destination != "stderr" || w[0].Records != 1 {
		t.Fatalf("DrainToClose gave up on %+v, want stderr with up to 1 record", w)
	}
	start := time.Now()
	within(t, 10*time.Second, "Close", func() { f.r.Close() })
	if took := time.Since(start); took >= closeGrace/2 {
		t.Errorf("Close after DrainToClose took %v: it waited for stderr again", took)
	}
}

// Close waits for stdout and stderr at once, closeGrace in all: one
// after the other, a cfkd whose stdout and stderr are one stalled pipe
// (cfkd 2>&1 | a reader that hangs) took a second for each.
func TestCloseWaitsForStdoutAndStderrAtOnce(t *testing.T) {
	f := newFixture(t)
	stalled := newStallWriter(t)
	f.r.stdout.w, f.r.stderr.w = stalled, stalled
	f.apply(t, "cfkd = stdout\nservices = stderr\n")
	f.log.Info("never taken")
	f.r.ServiceLine("w", "out", 7, []byte("never taken"))
	start := time.Now()
	within(t, 10*time.Second, "Close", func() { f.r.Close() })
	if took := time.Since(start); took >= closeGrace*3/2 {
		t.Errorf("Close took %v: it waited for stdout and stderr one after the other", took)
	}
}
