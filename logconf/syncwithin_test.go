package logconf

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// SyncWithin gives up on a destination that takes nothing (a FIFO whose
// reader stopped reading): an upgrade in place syncs the logs with the
// services frozen, and Sync waited there for good.
func TestSyncWithinGivesUpOnAStalledDestination(t *testing.T) {
	f := newFixture(t)
	fifo := filepath.Join(f.home, "pipe")
	if err := mkfifoReader(t, fifo); err != nil {
		t.Fatal(err)
	}
	f.apply(t, "cfkd = file:"+fifo+"\n")
	big := strings.Repeat("e", 4<<10)
	for range 64 { // 256 KiB: more than the pipe holds
		f.log.Info(big)
	}
	start := time.Now()
	if f.r.SyncWithin(200 * time.Millisecond) {
		t.Fatal("SyncWithin says all was written to a FIFO nobody reads")
	}
	if d := time.Since(start); d > deadlineSync {
		t.Fatalf("SyncWithin(200ms) took %v", d)
	}
	f.apply(t, "cfkd = file:cfkd.log\n") // away from the FIFO: its sink is closed
	f.log.Info("after")
	if !f.r.SyncWithin(deadlineSync) || !fileHas(filepath.Join(f.home, "cfkd.log"), "after") {
		t.Fatal("the next destination is not written")
	}
}

const deadlineSync = 5 * time.Second

// Drain names the destination it gave up on, with the records it still
// held (what an upgrade's exec loses, REFERENCE §13.3), and no other:
// the upgrade said only that 'a log destination' lost its records.
func TestDrainNamesTheStalledDestination(t *testing.T) {
	f := newFixture(t)
	fifo := filepath.Join(f.home, "pipe")
	if err := mkfifoReader(t, fifo); err != nil {
		t.Fatal(err)
	}
	f.apply(t, "cfkd = file:cfkd.log\nservices = file:"+fifo+"\n")
	line := strings.Repeat("s", 4<<10)
	for range 64 { // 256 KiB: more than the pipe holds
		f.line("web", "out", 7, line)
	}
	f.log.Info("to cfkd.log")
	w := f.r.Drain(200 * time.Millisecond)
	if len(w) != 1 || w[0].Destination != "file:"+fifo || w[0].Records <= 0 || w[0].Records > 64 {
		t.Fatalf("Drain = %+v, want file:%s with 1 to 64 records", w, fifo)
	}
	// cfkd's own destination is not held by the stalled one (the FIFO's
	// wait may have taken the whole 200 ms: it is synced on its own)
	if !f.r.SyncEventsWithin(deadlineSync) || !fileHas(filepath.Join(f.home, "cfkd.log"), "to cfkd.log") {
		t.Fatal("cfkd.log not written")
	}
}

// Drain gives every destination the whole of its time, not what a
// stalled one left of it: it waited for each in turn, so a destination
// that came after the stalled one in the map's order had 0 s, and was
// named with the stalled one as losing its records (an upgrade's
// 'up to N records lost destination=file:cfkd.log' of a cfkd.log that
// writes at once). Several rounds: the order is the map's, at random.
func TestDrainGivesEachDestinationItsTime(t *testing.T) {
	f := newFixture(t)
	fifo := filepath.Join(f.home, "pipe")
	if err := mkfifoReader(t, fifo); err != nil {
		t.Fatal(err)
	}
	f.apply(t, "services = file:"+fifo+"\nservice.a = file:a.log\nservice.b = file:b.log\nservice.c = file:c.log\n")
	line := strings.Repeat("s", 4<<10)
	for range 64 { // 256 KiB: more than the pipe holds
		f.line("web", "out", 7, line)
	}
	for round := range 4 {
		for _, name := range []string{"a", "b", "c"} {
			f.line(name, "out", 7, "round")
		}
		w := f.r.Drain(500 * time.Millisecond)
		if len(w) != 1 || w[0].Destination != "file:"+fifo {
			t.Fatalf("round %d: Drain = %+v, want file:%s alone", round, w, fifo)
		}
	}
}
