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
	err := readEnvFileWithin(t, fifo, "", os.Geteuid(), 5*time.Second)
	if err == nil || !strings.Contains(err.Error(), "env_file "+fifo+": a FIFO, not a file") {
		t.Fatalf("readEnvFile(FIFO) = %v, want a FIFO, not a file", err)
	}
}

// readEnvFileWithin is readEnvFile's error, which must come within d: a
// test fails otherwise, the open of a FIFO among its files unblocked so
// that the goroutine ends.
func readEnvFileWithin(t *testing.T, name, cwd string, uid int, d time.Duration) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { _, err := readEnvFile(name, cwd, uid); done <- err }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		p := name
		if !filepath.IsAbs(p) {
			p = filepath.Join(cwd, p)
		}
		if w, err := os.OpenFile(p, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			w.Close()
		}
		t.Fatalf("readEnvFile(%s) did not return in %v", name, d)
		return nil
	}
}
