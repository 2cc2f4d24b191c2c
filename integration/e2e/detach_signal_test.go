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
// the parent goes on waiting whatever it is sent. And the signal is sent
// on to the detached cfkd, which ran on unseen, loading and starting
// services, once the parent a user or an init system gave up on had died.
// Here the detached cfkd is held at its start: its -c file waits for a
// rolling restart of a service that is never ready (a start is answered
// at the launch; a rolling restart only once the service runs).
func TestDetachParentEndsOnTerm(t *testing.T) {
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	conf := filepath.Join(dir, "held.conf")
	if err := os.WriteFile(conf, []byte("service held cmd=sleep 1000\nservice held ready=tcp:127.0.0.1:1\nservice held ready_timeout_secs=600\ncommand start service held\ncommand rollingrestart service held\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(cfkdBin, "--home", home, "-c", conf, "-d")
	cmd.Env = childEnv("CFKD_HOME=" + home)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		killHome(home) // the detached cfkd, and its service
	})

	// the detached cfkd holds the lock (its pid in it) and is held at its
	// -c file: the parent waits for its readiness
	child := 0
	end := time.Now().Add(deadline)
	for {
		b, _ := os.ReadFile(filepath.Join(home, "lock"))
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid != cmd.Process.Pid {
			child = pid
			break
		}
		select {
		case err := <-exited:
			exited <- err // for the cleanup
			t.Fatalf("cfkd -d exited at once: %v\n%s", err, stderr.String())
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
	// and the SIGTERM went on to the detached cfkd: it ran on unseen
	if !strings.Contains(stderr.String(), "sent on to it, it shuts down") {
		t.Errorf("cfkd -d said %q, want that the signal was sent on", stderr.String())
	}
	waitFor(t, "the detached cfkd gone", func() bool { return syscall.Kill(child, 0) != nil })
}
