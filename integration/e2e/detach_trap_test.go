package e2e

import (
	"os"
	"path/filepath"
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
	t.Parallel()
	dir := t.TempDir()
	gate := filepath.Join(dir, "go")
	h := startHeldDetach(t, dir, "exec:test -e "+gate, []string{cfkdBin}, "-t")
	cmd, exited, stderr, child, home := h.cmd, h.exited, h.stderr, h.child, h.home
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
