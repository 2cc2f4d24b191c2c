package e2e

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// REFERENCE §2.4: a cfkd started with no PATH in its environment (a
// kernel's init, `env -i`, an OCI runtime's bare process.env) finds a
// command in /bin:/usr/bin, as execvp(3) and the original did: it found
// none, 'exec sleep: executable file not found in PATH'.
func TestCommandFoundWithoutPath(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	cmd := exec.Command("/usr/bin/env", "-u", "PATH", cfkdBin, "--home", home)
	d := runDaemonCmd(t, home, cmd, nil).acceptsOnHome()
	c := d.dial()
	c.ok("service a cmd=sleep 1000", "service a startwait_secs=0", "command start service a")
	if st := c.status("a"); st[1] != "running" {
		t.Fatalf("a: %q, want running", st)
	}
}
