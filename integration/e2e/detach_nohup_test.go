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

// TestNohupDetachKeepsHangupIgnored: `nohup cfkd -d` (REFERENCE §7.1,
// §7.3): the waiting parent was started with HUP ignored, yet it caught
// the HUP of a logout (the shell resends it to its jobs) and sent it on to
// the detached cfkd, which shut down with every service. A HUP ignored at
// start stays so in the parent, and the detached cfkd inherits it ignored,
// so that it too keeps it ignored (caught, logged, not inherited by its
// services). The detached cfkd is held at its -c file by a rolling restart
// of a service ready once a file exists, made after the HUP.
func TestNohupDetachKeepsHangupIgnored(t *testing.T) {
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	conf := filepath.Join(dir, "held.conf")
	gate := filepath.Join(dir, "go")
	if err := os.WriteFile(conf, []byte("service held cmd=sleep 1000\nservice held ready=exec:test -e "+gate+"\nservice held ready_timeout_secs=600\ncommand start service held\ncommand rollingrestart service held\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", "-c", `trap "" HUP; exec "$0" "$@"`, cfkdBin, "--home", home, "-c", conf, "-d")
	cmd.Env = childEnv("CFKD_HOME=" + home)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
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
	// the detached cfkd holds the lock: the parent waits for it
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
	cmd.Process.Signal(syscall.SIGHUP) // the logout
	if err := os.WriteFile(gate, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		exited <- err // for the cleanup
		if err != nil || !strings.Contains(stdout.String(), "cfkd running in the background") {
			t.Fatalf("nohup cfkd -d after a HUP: %v, said %q %q", err, stdout.String(), stderr.String())
		}
	case <-time.After(deadline):
		t.Fatal("cfkd -d never ended")
	}
	d := &daemon{t: t, home: home, sock: filepath.Join(home, "sock")}
	c := d.dial()
	c.ok("command list")
	if st := c.status("held"); st[1] != "running" {
		t.Fatalf("held: %q, want running", st)
	}
	// the detached cfkd got it ignored: it keeps it so
	syscall.Kill(child, syscall.SIGHUP)
	waitLog(t, home, "signal hangup ignored: cfkd was started with it ignored (nohup)")
	c.ok("command list")
}
