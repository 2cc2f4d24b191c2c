package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// ctl runs the cfkctl binary against d and returns stdout, stderr and the
// exit code.
func (d *daemon) ctl(stdin string, args ...string) (string, string, int) {
	d.t.Helper()
	cmd := exec.Command(cfkctlBin, append([]string{"--address", "unix:" + d.sock}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = childEnv()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		d.t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func (d *daemon) ctlOK(stdin string, args ...string) string {
	d.t.Helper()
	out, errs, code := d.ctl(stdin, args...)
	if code != 0 {
		d.t.Fatalf("cfkctl %v: exit %d: %s", args, code, errs)
	}
	return out
}

// TestTutorialWithCfkctl follows the original tutorial with cfkctl.
func TestTutorialWithCfkctl(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "")
	if out := d.ctlOK("", "status"); out != "" {
		t.Fatalf("status of nothing: %q", out)
	}
	conf := "# tutorial\nservice svc1 cmd=sleep 100\nservice svc1 startwait_secs=0.2\n\n" +
		"service web1 cmd=sleep 100\nservice web1 tags=web,prod\nservice web2 cmd=sleep 100\nservice web2 tags=web\n" +
		"service web2 desc=in ${BASE}\n"
	d.ctlOK(conf, "load", "--basedir", "/srv/app", "-")
	if out := d.ctlOK("", "status", "svc1"); !strings.HasPrefix(out, "stopped  svc1") {
		t.Fatalf("status: %q", out)
	}
	d.ctlOK("", "start", "svc1")
	c := d.dial()
	c.until("svc1 running", func() bool { return c.status("svc1")[1] == "running" })
	out := d.ctlOK("", "status", "svc1")
	if !strings.HasPrefix(out, "running  svc1") || !strings.Contains(out, "ago (") {
		t.Fatalf("running status: %q", out)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(d.ctlOK("", "pid", "svc1")))
	if err != nil {
		t.Fatal(err)
	}
	syscall.Kill(pid, syscall.SIGKILL)
	c.until("svc1 restarted", func() bool {
		st := c.status("svc1")
		return st[1] == "running" && st[2] != strconv.Itoa(pid)
	})
	d.ctlOK("", "start", "@web")
	if out := d.ctlOK("", "status", "@prod"); strings.Count(out, "\n") != 1 || !strings.Contains(out, "web1") {
		t.Fatalf("status @prod: %q", out)
	}
	if out := d.ctlOK("", "desc", "web2"); out != `web2: tags="web" desc="in /srv/app" cmd="sleep 100"`+"\n" {
		t.Fatalf("desc: %q", out)
	}
	// an ERROR reply: the server's message on stderr, exit 1
	_, errs, code := d.ctl("", "start", "web1")
	if code != 1 || strings.TrimSpace(errs) != "Service 'web1' is already up" {
		t.Fatalf("start of an up service: %d %q", code, errs)
	}
	// load stops at the first error and names the line
	_, errs, code = d.ctl("service ok cmd=true\nservice x bogus=1\nservice never cmd=true\n", "load", "-")
	if code != 1 || !strings.Contains(errs, "-:2: invalid property 'bogus'") {
		t.Fatalf("bad load: %d %q", code, errs)
	}
	if strings.Contains(d.ctlOK("", "list"), "never") {
		t.Fatal("load went on after an error")
	}
	// --json for scripts
	var st []map[string]any
	if err := json.Unmarshal([]byte(d.ctlOK("", "--json", "status", "svc1")), &st); err != nil || len(st) != 1 ||
		st[0]["state"] != "running" || st[0]["retries"] != float64(0) { // retries: asked with command inspect
		t.Fatalf("json status: %v %v", st, err)
	}
	if out := d.ctlOK("", "inspect", "svc1"); !strings.HasPrefix(out, `{"name":"svc1","state":"running","pid":`) {
		t.Fatalf("inspect: %q", out)
	}
	d.ctlOK("", "shutdown")
	if err := d.waitExit(); err != nil {
		t.Fatalf("cfkd exit after shutdown: %v", err)
	}
	_, errs, code = d.ctl("", "status")
	if code == 0 || !strings.Contains(errs, "Cannot get a socket for 'unix:"+d.sock+"'\nMaybe you need to start cfkd?") {
		t.Fatalf("after shutdown: %d %q", code, errs)
	}
}

// TestLogReloadOnUSR1: a new log.config takes effect on SIGUSR1, files are
// re-opened (logrotate), and a broken config keeps the old one.
func TestLogReloadOnUSR1(t *testing.T) {
	d := startDaemon(t, "")
	c := d.dial()
	logPath := filepath.Join(d.home, "cfkd.log")
	cfg := filepath.Join(d.home, "log.config")
	os.WriteFile(cfg, []byte("level = info\ncfkd = file:cfkd.log\nservices = file:services.log\n"), 0o600)
	os.Rename(logPath, logPath+".1") // logrotate moves the file, then signals
	d.cmd.Process.Signal(syscall.SIGUSR1)
	c.until("cfkd.log re-created", func() bool { _, err := os.Stat(logPath); return err == nil })
	c.ok(`service e cmd=sh -c 'echo hello-from-e'`, "command start service e")
	svcLog := filepath.Join(d.home, "services.log")
	c.until("the service line in services.log", func() bool {
		b, _ := os.ReadFile(svcLog)
		return strings.Contains(string(b), "service.e.out - hello-from-e")
	})
	os.WriteFile(cfg, []byte("level = loud\n"), 0o600)
	d.cmd.Process.Signal(syscall.SIGUSR1)
	c.until("the refusal logged", func() bool {
		b, _ := os.ReadFile(logPath)
		return strings.Contains(string(b), "log config not reloaded") && strings.Contains(string(b), "unknown level")
	})
	c.ok(`service f cmd=sh -c 'echo still-routed'`, "command start service f")
	c.until("old routing kept", func() bool {
		b, _ := os.ReadFile(svcLog)
		return strings.Contains(string(b), "still-routed")
	})
}

// TestTCPConsoles: with --insecure-tcp (no tokens, as before them,
// REFERENCE §5.2), a loopback TCP console gives admin; a console on a
// non-loopback address gives operate unless --remote-privileged.
func TestTCPConsoles(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		addr       string
		extra      []string
		privileged bool
	}{
		{"127.0.0.1:0", []string{"--insecure-tcp"}, true},
		{"0.0.0.0:0", []string{"--insecure-tcp"}, false},
		{"0.0.0.0:0", []string{"--insecure-tcp", "--remote-privileged"}, true},
	} {
		port := freePort(t)
		addr := strings.Replace(tc.addr, ":0", ":"+strconv.Itoa(port), 1)
		d := startDaemonTCP(t, addr, "127.0.0.1:"+strconv.Itoa(port), tc.extra...)
		c := d.dialTCP("127.0.0.1:" + strconv.Itoa(port))
		r := c.do("service a cmd=sleep 1")
		if got := r.Err == nil; got != tc.privileged {
			t.Fatalf("%s %v: declaration allowed=%v (%v), want %v", tc.addr, tc.extra, got, r.Err, tc.privileged)
		}
		if !tc.privileged && r.Err.Error() != "not authorized" {
			t.Fatalf("refusal text %q", r.Err)
		}
		c.ok("command list")
		d.stop()
	}
}
