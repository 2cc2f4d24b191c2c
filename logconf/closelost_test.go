package logconf

import (
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A destination that a reload replaces while it does not take its
// records (a FIFO whose reader stalled) is closed after closeGrace, and
// what it had not taken is lost (REFERENCE §6.2). The write in progress
// then failed with the close, and cfkd logged it as a failing
// destination: 'log destination fails: write PATH: file already closed
// (its records are lost until it takes them again)', of a destination
// that no longer exists, with no count. It says now what happened, once,
// in cfkd's log and on stderr, with the count of the records lost.
func TestReplacedDestinationClosedWithItsQueueSaysSo(t *testing.T) {
	f, fifo, old := stalledFifo(t)
	within(t, closeGrace+10*time.Second, "Apply away from a blocked FIFO", func() {
		f.apply(t, "cfkd = file:cfkd.log\nservices = file:all.log\n")
	})
	re := regexp.MustCompile(`(?m)^\S+ - WARN cfkd - log destination closed with (\d+) records it had not taken within 1s: they are lost destination=file:` + regexp.QuoteMeta(fifo) + `$`)
	var log string
	end := time.Now().Add(10 * time.Second)
	for {
		log = f.read(t, "cfkd.log")
		if (re.MatchString(log) && f.report.String() != "") || time.Now().After(end) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	m := re.FindStringSubmatch(log)
	if m == nil {
		t.Fatalf("cfkd.log does not say that the FIFO was closed with its records: %q", log)
	}
	if strings.Contains(log, "log destination fails") || strings.Contains(log, "already closed") {
		t.Errorf("cfkd.log says the closed destination fails: %q", log)
	}
	n, _ := strconv.ParseUint(m[1], 10, 64)
	if lost := old.errs.Load(); n == 0 || lost != n {
		t.Errorf("said %d records lost, counted %d", n, lost)
	}
	if got, want := f.report.String(), "cfkd: log destination file:"+fifo+": closed with "+m[1]+" records it had not taken within 1s: they are lost\n"; got != want {
		t.Errorf("stderr %q, want %q", got, want)
	}
}

// stalledFifo is a fixture whose services' destination is fifo, a FIFO
// whose reader never reads, filled until a service line is held: old is
// its sink, its queue full.
func stalledFifo(t *testing.T) (f *fixture, fifo string, old *sink) {
	t.Helper()
	holds := installFakeHolds(t)
	f = newFixture(t)
	fifo = filepath.Join(t.TempDir(), "fifo")
	fifoWithReader(t, fifo) // never read
	f.apply(t, "cfkd = file:cfkd.log\nservices = file:"+fifo+"\n")
	line := []byte(strings.Repeat("y", 200))
	within(t, 10*time.Second, "ServiceLine to a FIFO nobody reads", func() {
		for held, _ := holds.counts(); held == 0; held, _ = holds.counts() {
			f.r.ServiceLine("w", "out", 7, line)
		}
	})
	return f, fifo, f.r.cur.Load().sinks["file:"+fifo]
}
