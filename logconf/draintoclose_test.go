package logconf

import (
	"strings"
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
