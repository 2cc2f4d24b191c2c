package e2e

import (
	"os"
	"path/filepath"
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
	gate := filepath.Join(dir, "go")
	h := startHeldDetach(t, dir, "exec:test -e "+gate, []string{"sh", "-c", `trap "" HUP; exec "$0" "$@"`, cfkdBin})
	cmd, exited, stdout, stderr, home, child := h.cmd, h.exited, h.stdout, h.stderr, h.home, h.child
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
