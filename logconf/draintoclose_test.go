package logconf

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// A shutdown drains the destinations before its last record, then closes
// them (REFERENCE §6.2, §7.4): a file that did not take its queue within
// the drain (a FIFO whose reader stalled) is given up then: closed at
// once, not after closeGrace more, and DrainToClose returns the exact
// count of what it lost, which its caller says. Nothing says that loss
// again: Close printed a second line on stderr, 'closed with N records
// it had not taken', whose N (counted by the flusher at the close) was
// not the drain's. The records logged to it afterwards are lost and
// counted, not queued.
func TestDrainToCloseSaysTheLossOnce(t *testing.T) {
	f, fifo, old := stalledFifo(t)
	w := f.r.DrainToClose(100 * time.Millisecond)
	if len(w) != 1 || w[0].Destination != "file:"+fifo || w[0].Records == 0 {
		t.Fatalf("DrainToClose gave up on %+v, want the FIFO with its records", w)
	}
	if !w[0].Exact {
		t.Errorf("the loss of a FIFO whose write the close cut is not exact: %+v", w[0])
	}
	if lost := old.errs.Load(); uint64(w[0].Records) != lost {
		t.Errorf("DrainToClose says %d records lost, the destination counts %d", w[0].Records, lost)
	}
	within(t, 10*time.Second, "a line after the drain", func() {
		f.r.ServiceLine("w", "out", 7, []byte("after the drain"))
	})
	if lost := old.errs.Load(); lost != uint64(w[0].Records)+1 {
		t.Errorf("the line logged after the drain: %d records counted lost, want %d", lost, w[0].Records+1)
	}
	start := time.Now()
	within(t, 10*time.Second, "Close", func() { f.r.Close() })
	if took := time.Since(start); took >= closeGrace/2 {
		t.Errorf("Close after DrainToClose took %v: it waited for the FIFO again", took)
	}
	// the flusher stopped before DrainToClose returned (Exact), and
	// nothing was queued since: a line would be there already
	if got := f.report.String(); got != "" {
		t.Errorf("the loss is said again on stderr: %q", got)
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
	if len(w) != 1 || w[0].Destination != "stderr" || w[0].Records != 1 || w[0].Exact {
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

// A reload that comes while a shutdown drains the destinations (a
// SIGUSR1 then, REFERENCE §6.1, §7.3) is refused once the drain began,
// and waits for it: it neither replaces the state being drained nor
// reopens a destination after the drain gave up on it. Before, it ran
// beside the drain: it reopened the stalled FIFO afresh, the drain then
// gave up on the new sink (the state in force) while the reload closed
// the old one after its own second, saying its loss on stderr besides
// the drain's, and Close then closed the new one at once with the
// records queued to it since. The ordering is injected: the reload is
// sent once the drain holds the Router (drainBegins) and waits in Apply
// (applyWaits) before the drain goes on.
func TestReloadDuringDrainToCloseIsRefused(t *testing.T) {
	f, fifo, old := stalledFifo(t)
	path := f.writeConfig(t, "cfkd = file:cfkd.log\nservices = file:"+fifo+"\n")
	waiting := make(chan struct{})
	applyWaits = func() {
		select {
		case <-waiting:
		default:
			close(waiting)
		}
	}
	reloaded := make(chan error, 1)
	drainBegins = func() {
		go func() { reloaded <- f.r.Reload(path) }()
		<-waiting // the reload is in Apply
	}
	t.Cleanup(func() { applyWaits, drainBegins = nil, nil })
	w := f.r.DrainToClose(100 * time.Millisecond)
	var err error
	within(t, 10*time.Second, "the reload", func() { err = <-reloaded })
	if !errors.Is(err, ErrClosed) {
		t.Errorf("a reload during the drain: %v, want ErrClosed", err)
	}
	if len(w) != 1 || w[0].Destination != "file:"+fifo || !w[0].Exact {
		t.Fatalf("DrainToClose gave up on %+v, want the FIFO", w)
	}
	if s := f.r.cur.Load().sinks["file:"+fifo]; s != old {
		t.Errorf("the FIFO's destination was replaced during the drain")
	}
	if lost := old.errs.Load(); uint64(w[0].Records) != lost {
		t.Errorf("DrainToClose says %d records lost, the destination counts %d", w[0].Records, lost)
	}
	f.log.Info("cfkd exiting")
	start := time.Now()
	within(t, 10*time.Second, "Close", func() { f.r.Close() })
	if took := time.Since(start); took >= closeGrace/2 {
		t.Errorf("Close after DrainToClose took %v", took)
	}
	if got := f.report.String(); strings.Contains(got, "records it had not taken") {
		t.Errorf("the loss is said again on stderr: %q", got)
	}
	if !fileHas(f.home+"/cfkd.log", "cfkd exiting") {
		t.Errorf("cfkd's destination did not take its last record")
	}
}

// A shutdown whose rotating file (max_size_mb) is held in a write that
// does not return (a hung disk) gives it up within the drain, as it does
// a file that does not rotate (REFERENCE §7.4): abandon's close waited
// for the rotator's lock, which the write holds, for as long as the
// write lasted, and the shutdown's drain with it, its loss never said.
// The write is held here by holding that lock, as the write does.
func TestDrainToCloseDoesNotWaitForAStuckRotatingFile(t *testing.T) {
	f := newFixture(t)
	s, release := hungRotatingFile(t, f, "cfkd = file:cfkd.log\nservices = file:svc.log\nmax_size_mb = 1\n")
	var w []Unwritten
	within(t, 5*time.Second, "DrainToClose", func() { w = f.r.DrainToClose(100 * time.Millisecond) })
	if len(w) != 1 || w[0].Destination != s.name || w[0].Records == 0 {
		t.Errorf("DrainToClose gave up on %+v, want %s with its record", w, s.name)
	}
	settleHung(t, f, []*sink{s}, release)
}
