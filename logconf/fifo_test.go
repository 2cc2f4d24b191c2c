package logconf

import (
	"io"
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
			!strings.Contains(err.Error(), "no such device or address (a FIFO no process has open for reading: start its reader first)") {
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

// TestRotatingFifoWithoutReader: a FIFO nobody reads, with max_size_mb
// set: Apply away from it returns within about closeGrace, as with no
// rotation (TestApplyResumesHeldPipes). lumberjack opened the FIFO
// blocking, its write hung with its lock held, and its Close waited for
// that lock for good: Apply, and every later one, hung. Only a regular
// file rotates now.
func TestRotatingFifoWithoutReader(t *testing.T) {
	holds := installFakeHolds(t)
	f := newFixture(t)
	fifo := filepath.Join(t.TempDir(), "fifo")
	rd := fifoWithReader(t, fifo)
	f.apply(t, "max_size_mb = 10\ncfkd = file:cfkd.log\nservices = file:"+fifo+"\n")
	line := []byte(strings.Repeat("y", 200))
	within(t, 10*time.Second, "ServiceLine to a FIFO nobody reads", func() {
		for held, _ := holds.counts(); held == 0; held, _ = holds.counts() {
			f.r.ServiceLine("w", "out", 7, line)
		}
	})
	done := make(chan error, 1)
	go func() {
		cfg, _ := Parse("log.config", strings.NewReader("cfkd = file:cfkd.log\nservices = file:all.log\n"))
		done <- f.r.Apply(cfg)
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(closeGrace + 5*time.Second):
		// unblock so that the test can end
		go io.Copy(io.Discard, rd)
		<-done
		t.Fatal("Apply away from a rotating FIFO nobody reads did not return after closeGrace+5s")
	}
}

// fifoWithReader makes a FIFO at path with a reader open on it (closed
// when the test ends), which it returns.
func fifoWithReader(t *testing.T, path string) *os.File {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	rd, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rd.Close() })
	return rd
}
