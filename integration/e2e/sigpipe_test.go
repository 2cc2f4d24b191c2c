package e2e

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// REFERENCE §7.3: cfkd logging to its stderr survives the reader of that
// pipe going away (`cfkd 2>&1 | logger` whose logger ends, a container's
// log pipe): it died of SIGPIPE at its next line, Go's default for a write
// to fd 1 or 2, leaving its services running unsupervised, its lock and
// socket behind. The lines are lost; cfkd goes on, and a TERM still shuts
// it down, exit 0.
func TestClosedStderrPipeIsNoDeath(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	cfg := filepath.Join(t.TempDir(), "log.config")
	if err := os.WriteFile(cfg, []byte("cfkd = stderr\nservices = stderr\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	d := runDaemonCmd(t, home, exec.Command(cfkdBin, "--home", home, "-l", cfg), w)
	w.Close()
	d.acceptsOnHome()
	if line, err := bufio.NewReader(r).ReadString('\n'); !strings.Contains(line, "starting") {
		t.Fatalf("cfkd's first line on stderr: %q, %v", line, err)
	}
	r.Close()
	c := d.dial()
	c.ok(`service talk cmd=sh -c 'i=0; while :; do i=$((i+1)); echo line $i; sleep 0.05; done'`,
		"service talk startwait_secs=0", "command start service talk")
	c.until("the service's tenth line", func() bool {
		return strings.Contains(strings.Join(c.ok("command tail talk 1000"), "\n"), "line 10")
	})
	if st := c.status("talk"); st[1] != "running" {
		t.Fatalf("talk: %q, want running", st)
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	if err := d.waitExit(); err != nil {
		t.Fatalf("cfkd after a TERM: %v", err)
	}
}

// REFERENCE §7.1: `cfkd -d` whose stdout has no reader any more exits 0
// once its cfkd is ready: it died of SIGPIPE writing its line `cfkd running
// in the background`, exit 141, a script taking the start for failed
// while its cfkd ran on.
func TestDetachWithStdoutClosed(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	defer w.Close()
	cmd := exec.Command(cfkdBin, "--home", home, "-d")
	cmd.Env = childEnv("CFKD_HOME=" + home)
	cmd.Stdout = w
	t.Cleanup(func() { killHome(home) })
	err = cmd.Run()
	b, _ := os.ReadFile(filepath.Join(home, "lock"))
	if pid, _ := strconv.Atoi(strings.TrimSpace(string(b))); pid > 0 {
		t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	}
	if err != nil {
		t.Fatalf("cfkd -d with its stdout closed: %v", err)
	}
	d := &daemon{t: t, home: home, sock: filepath.Join(home, "sock")}
	d.dial().ok("command list")
}
