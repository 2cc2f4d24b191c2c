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
