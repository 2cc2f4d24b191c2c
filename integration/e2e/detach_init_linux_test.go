package e2e

import (
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// REFERENCE §7.1: `cfkd -d` that is PID 1 (`docker run IMAGE cfkd -d`)
// refuses, exit 1: it printed that its cfkd ran in the background and
// exited 0, and the kernel killed the PID namespace with it, the detached
// cfkd and every service (SIGKILL, no stop), their lock and socket left.
func TestDetachAsPID1Refused(t *testing.T) {
	needRoot(t)
	home := filepath.Join(t.TempDir(), "home")
	t.Cleanup(func() { killHome(home) })
	cmd := exec.Command(cfkdBin, "--home", home, "-d")
	cmd.Env = childEnv("CFKD_HOME=" + home)
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID}
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), "cfkd: -d: cfkd is PID 1") {
		t.Fatalf("cfkd -d as PID 1: %v %q, want exit 1 and the refusal", err, out)
	}
}
