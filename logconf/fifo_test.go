package logconf

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestFifoWithoutReader: a destination that is a FIFO nobody reads is an
// error at once (ENXIO), not an open that blocks the reload forever; the
// current configuration stays.
func TestFifoWithoutReader(t *testing.T) {
	f := newFixture(t)
	f.apply(t, "cfkd = file:cfkd.log\n")
	if err := syscall.Mkfifo(filepath.Join(f.home, "pipe"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := f.writeConfig(t, "cfkd = file:pipe\n")
	done := make(chan error, 1)
	go func() { done <- f.r.Reload(path) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "log destination file:pipe: open ") ||
			!strings.Contains(err.Error(), "no such device or address") {
			t.Fatalf("Reload: %v", err)
		}
	case <-time.After(10 * time.Second):
		// unblock the open so that the test can end
		if r, err := os.OpenFile(filepath.Join(f.home, "pipe"), os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
			defer r.Close()
		}
		t.Fatal("Reload blocked on a FIFO without a reader")
	}
	f.log.Info("still here")
	if !strings.Contains(f.read(t, "cfkd.log"), "still here") {
		t.Fatal("the old configuration did not stay")
	}
}
