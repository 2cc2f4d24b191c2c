package rights

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A token file that is a FIFO is refused at once: its open waited for a
// writer for ever, and on SIGUSR1 so did cfkd's signal goroutine, which
// then no longer obeyed SIGTERM.
func TestTokenFileFIFORefusedAtOnce(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "tokens")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFO:", err)
	}
	done := make(chan error, 1)
	go func() { _, err := ParseTokenFile(fifo); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Fatalf("ParseTokenFile(FIFO) = %v, want not a regular file", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ParseTokenFile(FIFO) did not return in 5s")
	}
}
