package actors

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// An env_file that is a FIFO is refused at once, as a declaration's
// error: its open waited for a writer for ever, past the 5 s bound of a
// launch's paths, so every start failed as a hung mount would (`env_file
// ... did not answer within 5s`), in backoff, retried every second for
// ever, a goroutine left in the open.
func TestEnvFileFIFORefusedAtOnce(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "app.env")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFO:", err)
	}
	done := make(chan error, 1)
	go func() { _, err := readEnvFile(fifo, "", os.Geteuid()); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "env_file "+fifo+": a FIFO, not a file") {
			t.Fatalf("readEnvFile(FIFO) = %v, want a FIFO, not a file", err)
		}
	case <-time.After(5 * time.Second):
		// unblock the open, so that the goroutine ends
		if w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			w.Close()
		}
		t.Fatal("readEnvFile(FIFO) did not return in 5s")
	}
}
