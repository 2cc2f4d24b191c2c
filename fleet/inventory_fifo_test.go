package fleet

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/internal/testkit"
)

// A FIFO given as --fleet-inventory held cfkd's start for ever in its
// open, before cfkd obeys a signal: it is refused, as the log
// configuration refuses one (REFERENCE §12.1).
func TestReadInventoryRefusesAFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "inventory")
	testkit.MakeFIFO(t, fifo)
	done := make(chan error, 1)
	go func() { _, err := ReadInventory(fifo); done <- err }()
	select {
	case err := <-done:
		if want := fifo + ": a FIFO, not a file"; err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("ReadInventory: %v, want %q", err, want)
		}
	case <-time.After(5 * time.Second):
		if w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			w.Close() // the open returns, so that the test ends
		}
		<-done
		t.Fatal("ReadInventory still waits after 5s")
	}
}
