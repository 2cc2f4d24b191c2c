package e2e

import (
	"context"
	"github.com/cfk/cfk/internal/testkit"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestConfigPartialStartWarns: REFERENCE §7.4. A -c line whose verb acted
// on some services and failed for others (`command start all`, one
// service without cmd, one whose user does not exist) is OK, so cfkd
// started, exit 0: the two services stayed stopped and nothing said so,
// not stderr, not the log, not the parent of `cfkd -d`. Each is a warning
// now, `cfkd: warning: FILE:LINE: NAME: MESSAGE`, on stderr (the parent's
// with -d) and in the log, and cfkd runs.
func TestConfigPartialStartWarns(t *testing.T) {
	t.Parallel()
	conf := filepath.Join(t.TempDir(), "cfk.conf")
	text := "service x cmd=sleep 1000\nservice y desc=no command\n" +
		"service z cmd=sleep 1000\nservice z user=no-such-user-cfk\ncommand start all\n"
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"cfkd: warning: " + conf + ":5: y: Service 'y' has no known command\n",
		"cfkd: warning: " + conf + ":5: z: Service 'z' cannot start: unknown user \"no-such-user-cfk\"\n",
	}
	check := func(how, stderr string) {
		t.Helper()
		for _, w := range want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s: stderr %q, want %q", how, stderr, w)
			}
		}
	}

	// in the foreground: on its stderr, and in its log
	d := startDaemon(t, "", "-c", conf)
	c := d.dial()
	if st := c.status("x"); st[1] != "starting" && st[1] != "running" {
		t.Fatalf("status of x: %q", st)
	}
	c.ok("command shutdown")
	if err := d.waitExit(); err != nil {
		t.Fatalf("cfkd: %v\n%s", err, d.stderr.String())
	}
	check("cfkd -c", d.stderr.String())
	if b, _ := os.ReadFile(filepath.Join(d.home, "cfkd.log")); !strings.Contains(string(b), "WARN cfkd - "+strings.TrimPrefix(strings.TrimSuffix(want[0], "\n"), "cfkd: warning: ")) {
		t.Errorf("cfkd.log has not the warning:\n%s", b)
	}

	// detached: the parent says them
	home := filepath.Join(t.TempDir(), "home")
	t.Cleanup(func() { killHome(home) }) // what it started, also if it fails
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	cmd := exec.CommandContext(ctx, cfkdBin, "--home", home, "-d", "-c", conf)
	cmd.Env = childEnv("CFKD_HOME=" + home)
	var stderr testkit.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil || !strings.Contains(string(out), "cfkd running in the background as pid") {
		t.Fatalf("cfkd -d -c: %v %q %q", err, out, stderr.String())
	}
	check("cfkd -d -c", stderr.String())
	pid := readLockPid(t, home)
	dd := &daemon{t: t, home: home, sock: filepath.Join(home, "sock")}
	dc := dd.dial()
	dc.ok("command shutdown")
	dc.until("the detached cfkd gone", func() bool { return syscall.Kill(pid, 0) != nil })
}
