package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDetachParentEndsOnTerm: `cfkd -d` waits for the detached cfkd to be
// ready (REFERENCE §7.1). A SIGTERM (or a Ctrl-C) to that waiting parent
// ended it, as any process's: catchEarly, from Run's first line, now
// catches HUP, INT and TERM in the parent too, which never hands them
// over (it never gets to the handlers) and drops them when it returns, so
// the parent goes on waiting whatever it is sent. Here the detached cfkd
// is held at its start (its log configuration is a FIFO nobody writes).
func TestDetachParentEndsOnTerm(t *testing.T) {
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	fifo := filepath.Join(dir, "log.config")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(cfkdBin, "--home", home, "-l", fifo, "-d")
	cmd.Env = childEnv("CFKD_HOME=" + home)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		killHome(home) // the detached cfkd, held at the FIFO
	})

	// the detached cfkd holds the lock (its pid in it) and is held at the
	// FIFO: the parent waits for its readiness
	end := time.Now().Add(deadline)
	for {
		b, _ := os.ReadFile(filepath.Join(home, "lock"))
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid != cmd.Process.Pid {
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("cfkd -d exited at once: %v", err)
		default:
		}
		if time.Now().After(end) {
			t.Fatal("the detached cfkd never took the lock")
		}
		time.Sleep(5 * time.Millisecond)
	}

	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		exited <- err // for the cleanup
	case <-time.After(5 * time.Second):
		t.Fatal("cfkd -d, waiting for the detached cfkd, ignored SIGTERM for 5s")
	}
}
