package logconf

import (
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
)

// flapWriter fails every other write, as a disk at its last blocks that
// others free and fill, or a network file system that comes and goes.
// With down set, every write fails.
type flapWriter struct {
	n    atomic.Int64
	down atomic.Bool
}

func (w *flapWriter) Write(p []byte) (int, error) {
	if w.n.Add(1)%2 == 1 || w.down.Load() {
		return 0, syscall.ENOSPC
	}
	return len(p), nil
}

// A destination whose writes fail and succeed by turns made a failure
// note and a recovery note of each turn: a WARN event of kind cfkd and two
// records in cfkd's log for every batch of a chatty service, which flooded
// `cfkctl events`, the fleet's hubs and cfkd's log (on the same full disk,
// often). It is noted at most once per failNoteEvery (REFERENCE §6.2); a
// failure that goes on past it is noted then, at its next failed write.
func TestFlappingDestinationNotedAtMostOncePerPeriod(t *testing.T) {
	defer func(old time.Duration) { failNoteEvery = old }(failNoteEvery)
	failNoteEvery = time.Hour
	f := newFixture(t)
	var events atomic.Int64
	f.r.OnDropNote(func(e *logrus.Entry) {
		if strings.Contains(e.Message, "log destination fails") {
			events.Add(1)
		}
	})
	w := &flapWriter{}
	f.r.stdout.w = w
	f.apply(t, "cfkd = file:cfkd.log\nservices = stdout\n")
	for i := 0; i < 20; i++ { // a write each: 10 fail, 10 succeed
		f.line("web", "out", 42, "line")
		f.r.Sync()
	}
	f.r.Sync() // the notes the last flush queued for cfkd.log
	read := func() string {
		b, err := os.ReadFile(filepath.Join(f.home, "cfkd.log"))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	b := read()
	warn, info := strings.Count(b, "log destination fails"), strings.Count(b, "log destination writable again")
	if n := events.Load(); n != 1 || warn != 1 || info != 1 {
		t.Fatalf("after 10 turns: %d events, %d failure and %d recovery records, want 1 each:\n%s", n, warn, info, b)
	}

	// a failure that begins within the period, and goes on: noted once
	// the period is over, at its next failed write
	w.down.Store(true)
	f.line("web", "out", 42, "line")
	f.r.Sync()
	f.r.Sync()
	if n := events.Load(); n != 1 {
		t.Fatalf("a failure within the period: %d events, want still 1", n)
	}
	failNoteEvery = 0
	f.line("web", "out", 42, "line")
	f.r.Sync()
	f.r.Sync()
	if n, after := events.Load(), read()[len(b):]; n != 2 || !strings.Contains(after, "log destination fails") {
		t.Fatalf("a failure past the period: %d events, cfkd.log after the first turns %q, want a second note", n, after)
	}
}
