package logconf

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
)

// readWithin runs f and fails the test if it does not return within d.
func readWithin(t *testing.T, d time.Duration, what string, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		t.Fatalf("%s did not return in %v", what, d)
		return nil
	}
}

// The log configuration is read on SIGUSR1 by the goroutine that also
// obeys SIGTERM: a FIFO nobody writes to blocked it for ever, and an
// endless file (/dev/zero) made cfkd allocate until it died.
func TestReloadNeverWaitsNorGrows(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "log.config")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFO:", err)
	}
	log := logrus.New()
	r := NewRouter(dir, log, log)
	defer r.Close()
	err := readWithin(t, 5*time.Second, "a reload from a FIFO", func() error { _, err := r.ReloadText(fifo, nil); return err })
	if err == nil || !strings.Contains(err.Error(), "a FIFO") {
		t.Fatalf("reload from a FIFO: %v, want a FIFO, not a file", err)
	}
	// a large regular file first: without the bound, /dev/zero would eat
	// the machine's memory before the deadline
	big := filepath.Join(dir, "big.config")
	if err := os.WriteFile(big, []byte(strings.Repeat("# comment\n", (1<<20)/10+1)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{big, "/dev/zero"} {
		err := readWithin(t, 5*time.Second, "a reload from "+name, func() error { _, err := r.ReloadText(name, nil); return err })
		if err == nil || !strings.Contains(err.Error(), "larger than") {
			t.Fatalf("reload from %s: %v, want larger than 1048576 bytes", name, err)
		}
	}
}

// A line too long for the scanner is named, not "bufio.Scanner: token
// too long".
func TestParseNamesALongLine(t *testing.T) {
	_, err := Parse("log.config", strings.NewReader("level = info\n"+strings.Repeat("a", 200000)+"\n"))
	if err == nil || !strings.HasPrefix(err.Error(), "log.config:2: expected") || len(err.Error()) > 200 {
		t.Fatalf("err = %v", err)
	}
}
