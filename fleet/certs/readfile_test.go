package certs

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/internal/testkit"
)

// Load reads the fleet's files as they are, never waited for: cfkd reads
// them at its start, before it obeys a signal, and a FIFO in the place of
// one held that start for ever (a TERM did nothing), a /dev/zero read
// with no end. Each is refused, naming the file (REFERENCE §12.1).
func TestLoadRefusesWhatIsNotAFile(t *testing.T) {
	dir := t.TempDir()
	if err := Generate(dir, []Member{{"web1", RoleHost, "127.0.0.1:7000"}}, time.Hour); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(t.TempDir(), "fifo")
	testkit.MakeFIFO(t, fifo)
	big := filepath.Join(t.TempDir(), "big.pem")
	if err := os.WriteFile(big, make([]byte, MaxPEM+1), 0o600); err != nil {
		t.Fatal(err)
	}
	ca, cert, key := filepath.Join(dir, CAFile), filepath.Join(dir, "web1.pem"), filepath.Join(dir, "web1.key")
	for _, tc := range []struct {
		name, ca, cert, key, want string
	}{
		{"CA a FIFO", fifo, cert, key, "fleet CA: " + fifo + ": a FIFO, not a file"},
		{"certificate a FIFO", ca, fifo, key, "fleet certificate: " + fifo + ": a FIFO, not a file"},
		{"key a FIFO", ca, cert, fifo, "fleet key: " + fifo + ": a FIFO, not a file"},
		{"CA a device", "/dev/zero", cert, key, "fleet CA: /dev/zero: not a regular file"},
		{"CA a directory", dir, cert, key, "fleet CA: " + dir + ": a directory, not a file"},
		{"CA too large", big, cert, key, "fleet CA: " + big + ": larger than 1048576 bytes"},
	} {
		done := make(chan error, 1)
		go func() { _, err := Load(tc.ca, tc.cert, tc.key); done <- err }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
			}
		case <-time.After(5 * time.Second):
			// unblock the open, so that the test ends
			if w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
				w.Close()
			}
			t.Fatalf("%s: Load still waits after 5s", tc.name)
		}
	}
	if _, err := Load(ca, cert, key); err != nil {
		t.Fatalf("the files themselves: %v", err)
	}
}
