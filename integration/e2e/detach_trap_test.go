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

// TestDetachTrapSaysItRunsOn: `cfkd -d -t` sent a TERM while it waits for
// the cfkd it detached (REFERENCE §7.3): it sent it on and said 'sent on
// to it, it shuts down', exit 1, while that cfkd, under -t, dropped it and
// ran on, its services started, a script taking the start for failed. It
// now sends nothing on and says the detached cfkd runs on.
func TestDetachTrapSaysItRunsOn(t *testing.T) {
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	conf := filepath.Join(dir, "held.conf")
	gate := filepath.Join(dir, "go")
	if err := os.WriteFile(conf, []byte("service held cmd=sleep 1000\nservice held ready=exec:test -e "+gate+"\nservice held ready_timeout_secs=600\ncommand start service held\ncommand rollingrestart service held\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(cfkdBin, "--home", home, "-t", "-c", conf, "-d")
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
	t.Cleanup(func() { syscall.Kill(child, syscall.SIGKILL) })
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		exited <- err // for the cleanup
	case <-time.After(deadline):
		t.Fatal("cfkd -d -t never ended")
	}
	if !strings.Contains(stderr.String(), "not sent on (-t): it runs on") {
		t.Errorf("cfkd -d -t said %q, want that the detached cfkd runs on", stderr.String())
	}
	if err := os.WriteFile(gate, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	// it runs on: it accepts once its -c file is loaded, held running
	d := (&daemon{t: t, home: home}).acceptsOnHome()
	if st := d.dial().status("held"); st[1] != "running" {
		t.Fatalf("held: %q, want running", st)
	}
}
