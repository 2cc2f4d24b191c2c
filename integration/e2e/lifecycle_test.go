package e2e

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestSigtermShutsDownCleanly: every service stopped, socket and lock
// removed, exit 0.
func TestSigtermShutsDownCleanly(t *testing.T) { shutsDownCleanly(t, syscall.SIGTERM) }

// TestSigquitShutsDownCleanly: QUIT is a shutdown too (REFERENCE §7.3), as
// in supervisord; it was Go's default, a dump of the goroutines and exit 2,
// every service left running (or, cfkd being a container's PID 1 under a
// STOPSIGNAL SIGQUIT, killed by the kernel without a stop).
func TestSigquitShutsDownCleanly(t *testing.T) { shutsDownCleanly(t, syscall.SIGQUIT) }

func shutsDownCleanly(t *testing.T, sig syscall.Signal) {
	d := startDaemon(t, "")
	c := d.dial()
	c.ok("service a cmd=sleep 100", "service b cmd=sleep 10; sleep 10", "command start all")
	c.until("both have pids", func() bool { return c.status("a")[2] != "" && c.status("b")[2] != "" })
	pa, _ := strconv.Atoi(c.status("a")[2])
	pb, _ := strconv.Atoi(c.status("b")[2])
	d.cmd.Process.Signal(sig)
	if err := d.waitExit(); err != nil {
		t.Fatalf("exit: %v\n%s", err, d.stderr.String())
	}
	for _, p := range []int{pa, pb} {
		if syscall.Kill(p, 0) == nil {
			t.Errorf("service pid %d survived the shutdown", p)
		}
	}
	for _, f := range []string{"sock", "lock"} {
		if _, err := os.Stat(filepath.Join(d.home, f)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left behind (%v)", f, err)
		}
	}
}

// TestCommandShutdownRepliesBeforeExit.
func TestCommandShutdownRepliesBeforeExit(t *testing.T) {
	d := startDaemon(t, "")
	c := d.dial()
	c.ok("service a cmd=sleep 100", "command start service a")
	if l := c.ok("command shutdown"); len(l) != 1 || l[0] != "done 1" {
		t.Fatalf("shutdown reply %q", l)
	}
	if err := d.waitExit(); err != nil {
		t.Fatalf("exit: %v", err)
	}
}

// TestSecondDaemonRefusedThenStaleLockTakenOver.
func TestSecondDaemonRefusedThenStaleLockTakenOver(t *testing.T) {
	d := startDaemon(t, "")
	out, err := exec.Command(cfkdBin, "--home", d.home).CombinedOutput()
	want := "cfkd running as pid:" + strconv.Itoa(d.cmd.Process.Pid) + "?"
	if err == nil || !strings.Contains(string(out), want) {
		t.Fatalf("second cfkd: %v %q, want a refusal naming %q", err, out, want)
	}
	c := d.dial()
	c.ok("service a cmd=sleep 100", "command start service a")
	c.until("a has a pid", func() bool { return c.status("a")[2] != "" })
	orphan, _ := strconv.Atoi(c.status("a")[2])
	// kill -9: the lock file and the socket stay behind, stale
	d.cmd.Process.Kill()
	d.waitExit()
	defer syscall.Kill(-orphan, syscall.SIGKILL)
	if _, err := os.Stat(filepath.Join(d.home, "lock")); err != nil {
		t.Fatalf("lock file: %v", err)
	}
	d2 := startDaemon(t, d.home)
	c2 := d2.dial()
	if l := c2.ok("command list"); len(l) != 0 {
		t.Fatalf("new cfkd has services %q", l)
	}
	waitLog(t, d.home, "took over the lock of pid "+strconv.Itoa(d.cmd.Process.Pid))
}

// TestDetach: -d returns once the console accepts; the daemon runs on.
func TestDetach(t *testing.T) {
	t.Parallel()
	home := filepath.Join(t.TempDir(), "home")
	cmd := exec.Command(cfkdBin, "--home", home, "-d")
	cmd.Env = childEnv("CFKD_HOME=" + home)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "cfkd running in the background as pid") {
		t.Fatalf("cfkd -d: %v %q", err, out)
	}
	pid := readLockPid(t, home)
	t.Cleanup(func() {
		syscall.Kill(pid, syscall.SIGKILL)
		killHome(home)
	})
	d := &daemon{t: t, home: home, sock: filepath.Join(home, "sock")}
	c := d.dial() // must accept at once: -d returned only once ready
	c.ok("service a cmd=sleep 100", "command start service a")
	if l := c.ok("command shutdown"); l[0] != "done 1" {
		t.Fatalf("shutdown %q", l)
	}
	c.until("the detached cfkd gone", func() bool { return syscall.Kill(pid, 0) != nil })
}

func readLockPid(t *testing.T, home string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(home, "lock"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// TestConfigFile: -c loads a config at start; a bad line stops cfkd with
// FILE:LINE and the reason.
func TestConfigFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.conf")
	os.WriteFile(good, []byte("# demo\nservice a cmd=sleep 100\n\nservice a desc=from ${BASE}\ncommand start service a\n"), 0o600)
	d := startDaemon(t, "", "-c", good)
	c := d.dial()
	c.until("a started by the config", func() bool { return c.status("a")[2] != "" })
	if desc := c.ok("command desc service a"); !strings.Contains(desc[0], "from "+dir) {
		t.Fatalf("desc %q", desc)
	}

	bad := filepath.Join(dir, "bad.conf")
	os.WriteFile(bad, []byte("service b cmd=sleep 100\nservice b bogus=1\n"), 0o600)
	home := filepath.Join(t.TempDir(), "home")
	out, err := exec.Command(cfkdBin, "--home", home, "-c", bad).CombinedOutput()
	if err == nil || !strings.Contains(string(out), bad+":2: invalid property 'bogus'") {
		t.Fatalf("bad config: %v %q", err, out)
	}

	// every bad line is named, one a line, also by the parent of -d
	worse := filepath.Join(dir, "worse.conf")
	os.WriteFile(worse, []byte("service b cmd=sleep 100\nservice b bogus=1\nservice b cwdd=/\n"), 0o600)
	want := "cfkd: " + worse + ":2: invalid property 'bogus'\ncfkd: " + worse + ":3: invalid property 'cwdd' (did you mean 'cwd'?)\n"
	for _, detach := range []bool{false, true} {
		args := []string{"--home", filepath.Join(t.TempDir(), "home"), "-c", worse}
		if detach {
			args = append(args, "-d")
		}
		out, err := exec.Command(cfkdBin, args...).CombinedOutput()
		if err == nil || string(out) != want {
			t.Fatalf("config with two bad lines, -d %v: %v %q, want %q", detach, err, out, want)
		}
	}
}

// TestCommandOnlyConsole refuses declarations.
func TestCommandOnlyConsole(t *testing.T) {
	d := startDaemon(t, "", "--command-only")
	c := d.dial()
	if r := c.do("service a cmd=sleep 1"); r.Err == nil || r.Err.Error() != "not authorized" {
		t.Fatalf("declaration on a command-only console: %v", r.Err)
	}
	c.ok("command list")
}

// TestTrapIgnoresTerm: with -t, HUP/INT/TERM do not stop cfkd; command
// shutdown still does.
func TestTrapIgnoresTerm(t *testing.T) {
	d := startDaemon(t, "", "-t")
	c := d.dial()
	c.ok("service a cmd=sleep 100", "command start service a")
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT} {
		d.cmd.Process.Signal(sig)
	}
	// with -t the signals are set to SIG_IGN before cfkd is ready, so the
	// kernel discards them; had one started a shutdown, the declaration
	// below would be refused.
	if r := c.do("service b cmd=sleep 100"); r.Err != nil {
		t.Fatalf("cfkd did not ignore the signals: %v", r.Err)
	}
	select {
	case <-d.exited:
		t.Fatalf("cfkd exited on a trapped signal: %v", d.err)
	default:
	}
	if l := c.ok("command shutdown"); l[0] != "done 2" {
		t.Fatalf("shutdown %q", l)
	}
	if err := d.waitExit(); err != nil {
		t.Fatalf("exit: %v", err)
	}
}

// TestVersionAndHelp: both answer on stdout/stderr and exit 0.
func TestVersionAndHelp(t *testing.T) {
	out, err := exec.Command(cfkdBin, "--version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "cfkd ") {
		t.Fatalf("--version: %v %q", err, out)
	}
	out, err = exec.Command(cfkdBin, "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--log-config-file") {
		t.Fatalf("--help: %v %q", err, out)
	}
	out, err = exec.Command(cfkdBin, "--bogus").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "cfkd: unknown flag '--bogus' (cfkd --help lists the options)") {
		t.Fatalf("--bogus: %v %q", err, out)
	}
}
