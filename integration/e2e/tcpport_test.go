package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/cfk/cfk/messages"
)

// TestDetachOnTCPPortZero: `cfkd -a 127.0.0.1:0 -d` says the port the
// kernel gave its console (not `:0`), logs the same address, and a client
// reaches cfkd there.
func TestDetachOnTCPPortZero(t *testing.T) {
	t.Parallel()
	home := filepath.Join(t.TempDir(), "home")
	cmd := exec.Command(cfkdBin, "--home", home, "-a", "127.0.0.1:0", "--insecure-tcp", "-d")
	cmd.Env = childEnv("CFKD_HOME=" + home)
	// whatever cfkd started is killed at the end, also on failure (its
	// pid is in the lock file while it runs)
	gone := false
	t.Cleanup(func() {
		if b, err := os.ReadFile(filepath.Join(home, "lock")); err == nil && !gone {
			if pid, _ := strconv.Atoi(strings.TrimSpace(string(b))); pid > 0 {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		killHome(home)
	})
	out, err := cmd.CombinedOutput()
	m := regexp.MustCompile(`^cfkd running in the background as pid (\d+), console on 127\.0\.0\.1:(\d+)\n$`).FindStringSubmatch(string(out))
	if err != nil || m == nil {
		t.Fatalf("cfkd -a 127.0.0.1:0 -d: %v %q, want the console's real port", err, out)
	}
	pid, _ := strconv.Atoi(m[1])
	if port, _ := strconv.Atoi(m[2]); port == 0 || port > 65535 {
		t.Fatalf("port %q in %q", m[2], out)
	}
	addr := "127.0.0.1:" + m[2]
	d := &daemon{t: t, home: home}
	c := d.dialTCP(addr)
	c.raw("command version\r\n", "cfk "+messages.Version+"\nOK\r\n")
	// cfkd's log is written by a flusher: wait for the line
	c.until("the log names "+addr, func() bool {
		log, _ := os.ReadFile(filepath.Join(home, "cfkd.log"))
		return strings.Contains(string(log), "admin console listening on "+addr+" ")
	})
	if l := c.ok("command shutdown"); len(l) != 1 || l[0] != "done 0" {
		t.Fatalf("shutdown %q", l)
	}
	c.until("the detached cfkd gone", func() bool { return syscall.Kill(pid, 0) != nil })
	gone = true
}
