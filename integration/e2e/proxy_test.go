package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/cfk/cfk/osproc"
)

// needProxy returns the path of the built cfk-proxy, or skips the test.
func needProxy(t *testing.T) string {
	t.Helper()
	if cfkProxyBin == "" {
		t.Skip(cfkProxyErr)
	}
	return cfkProxyBin
}

// needPythonProxy is the command of the Python preload proxy (preloading
// json), or skips the test when there is no python3.
func needPythonProxy(t *testing.T) string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3 in PATH")
	}
	script, err := filepath.Abs("../../proxyproc/python/cfk_preload_proxy.py")
	if err != nil {
		t.Fatal(err)
	}
	return py + " " + script + " --preload json"
}

// proxyStatus returns the state and pid proxystatus gives proxy name.
func (c *client) proxyStatus(name string) (state string, pid int) {
	c.t.Helper()
	for _, l := range c.ok("command proxystatus") {
		if f := strings.Split(l, "\t"); len(f) == 3 && f[0] == name {
			pid, _ := strconv.Atoi(f[2])
			return f[1], pid
		}
	}
	c.t.Fatalf("no proxy %s in proxystatus", name)
	return "", 0
}

// parentOf reads the parent pid of pid from /proc.
func parentOf(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatalf("pid %d: %v", pid, err)
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

// TestAutoProxyLifecycle: an auto proxy runs with its first service (which
// it forks: `pids` shows both), and is shut down after its last.
func TestAutoProxyLifecycle(t *testing.T) {
	proxy := needProxy(t)
	d := startDaemon(t, "")
	c := d.dial()
	c.ok("proxy p cmd="+proxy,
		"proxy p service s1 cmd=sleep 100", "service s1 startwait_secs=0.2",
		"proxy p service s2 cmd=sleep 100", "service s2 startwait_secs=0.2")
	if st, _ := c.proxyStatus("p"); st != "down" {
		t.Fatalf("proxy %s before any start", st)
	}
	if st := c.status("s1"); st[5] != "p!" {
		t.Fatalf("status %q", st)
	}
	c.ok("command start service s1", "command start service s2")
	c.until("s1 and s2 running", func() bool {
		return c.status("s1")[1] == "running" && c.status("s2")[1] == "running"
	})
	st, ppid := c.proxyStatus("p")
	if st != "up" || ppid == 0 {
		t.Fatalf("proxystatus %s %d", st, ppid)
	}
	pids := c.ok("command pids service s1")
	f := strings.Split(strings.TrimPrefix(pids[0], "s1: "), ", ")
	if len(f) != 2 || f[0] != strconv.Itoa(ppid) {
		t.Fatalf("pids %q, want s1: %d, PID", pids, ppid)
	}
	pid, _ := strconv.Atoi(f[1])
	if got := parentOf(t, pid); got != ppid {
		t.Fatalf("s1 (pid %d) is a child of %d, want the proxy %d", pid, got, ppid)
	}
	if st := c.status("s1"); st[2] != f[1] || st[5] != "p" || st[7] != "sleep 100" {
		t.Fatalf("status %q", st)
	}
	if out := d.ctlOK("", "proxystatus"); out != fmt.Sprintf("up     p                    %d\n", ppid) {
		t.Fatalf("cfkctl proxystatus %q", out)
	}
	if out := d.ctlOK("", "pids", "s1"); out != pids[0]+"\n" {
		t.Fatalf("cfkctl pids %q, want %q", out, pids[0])
	}
	c.ok("command stop service s1")
	c.until("s1 stopped", func() bool { return c.status("s1")[1] == "stopped" })
	if st, _ := c.proxyStatus("p"); st != "up" {
		t.Fatalf("proxy %s with s2 still up", st)
	}
	c.ok("command stop service s2")
	c.until("the proxy shut down", func() bool { st, _ := c.proxyStatus("p"); return st == "down" })
	if err := syscall.Kill(ppid, 0); err == nil {
		t.Fatalf("proxy pid %d still exists", ppid)
	}
	if st := c.status("s2"); st[1] != "stopped" || st[5] != "p!" {
		t.Fatalf("status %q", st)
	}
}

// TestNoautoProxyAndProxyKilled: a noauto proxy refuses starts until
// proxyup; SIGKILLing it fails its services and shows `NAME!`.
func TestNoautoProxyAndProxyKilled(t *testing.T) {
	proxy := needProxy(t)
	d := startDaemon(t, "")
	c := d.dial()
	c.ok("proxy q cmd="+proxy, "proxy q noauto=1",
		"proxy q service n cmd=sleep 100", "service n startwait_secs=0.2",
		"proxy q service idle cmd=sleep 100")
	if r := c.do("command start service n"); r.Err == nil || r.Err.Error() != "Proxy is not running, not starting service 'n'" {
		t.Fatalf("start under a down noauto proxy: %v %q", r.Err, r.Lines)
	}
	if out, errs, code := d.ctl("", "start", "n"); code == 0 || !strings.Contains(errs, "Proxy is not running, not starting service 'n'") {
		t.Fatalf("cfkctl start: exit %d, %q %q", code, out, errs)
	}
	d.ctlOK("", "proxyup", "q")
	st, ppid := c.proxyStatus("q")
	if st != "up" || ppid == 0 {
		t.Fatalf("proxystatus %s %d", st, ppid)
	}
	c.ok("command start service n")
	c.until("n running", func() bool { return c.status("n")[1] == "running" })
	pid, _ := strconv.Atoi(c.status("n")[2])
	if err := syscall.Kill(ppid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	c.until("n failed", func() bool { return c.status("n")[1] == "fail" })
	if st := c.status("n"); st[5] != "q!" || st[2] != "" {
		t.Fatalf("status %q", st)
	}
	if st := c.status("idle"); st[1] != "stopped" {
		t.Fatalf("a service that was down changed: %q", st)
	}
	if st, _ := c.proxyStatus("q"); st != "down" {
		t.Fatalf("proxystatus %s", st)
	}
	// the orphaned service is no longer supervised: end it here
	syscall.Kill(pid, syscall.SIGKILL)
}

// TestProxiedServiceBackoffAndLog: a service that dies under the proxy goes
// through backoff to fatal as a direct one, and its stderr reaches cfkd's
// log under its own category.
func TestProxiedServiceBackoffAndLog(t *testing.T) {
	proxy := needProxy(t)
	d := startDaemon(t, "")
	c := d.dial()
	c.ok("proxy p cmd="+proxy,
		`proxy p service bad cmd=echo oops-from-bad >&2; exit 3`, "service bad respawn_max_retries=3")
	c.ok("command start service bad")
	c.until("bad fatal", func() bool { return c.status("bad")[1] == "fatal" })
	// the proxy's log pipe and cfkd's log flusher are not in step with the
	// state: wait for the three lines
	var log string
	count := func() int {
		b, _ := os.ReadFile(filepath.Join(d.home, "cfkd.log"))
		log = string(b)
		n := 0
		for _, l := range strings.Split(log, "\n") {
			if strings.Contains(l, "oops-from-bad") && !strings.Contains(l, " audit - ") { // not the declaration's audit record
				if !strings.Contains(l, "service.bad.err") || !strings.Contains(l, "ERROR") {
					t.Errorf("stderr logged as %q", l)
				}
				n++
			}
		}
		return n
	}
	defer func() {
		if t.Failed() {
			t.Logf("cfkd.log:\n%s", log)
		}
	}()
	c.until("three stderr lines in cfkd.log, one per attempt", func() bool { return count() >= 3 })
	if n := count(); n != 3 {
		t.Fatalf("%d stderr lines in cfkd.log, want 3 (one per attempt)\n%s", n, log)
	}
	if !strings.Contains(log, "restarting in") {
		t.Fatalf("no backoff in the log\n%s", log)
	}
	c.until("the proxy shut down", func() bool { st, _ := c.proxyStatus("p"); return st == "down" })
}

// TestShutdownWithProxiedServices: SIGTERM to cfkd stops the proxied
// services through their proxy, then the proxy; nothing is left behind.
func TestShutdownWithProxiedServices(t *testing.T) {
	proxy := needProxy(t)
	d := startDaemon(t, "")
	c := d.dial()
	c.ok("proxy p cmd="+proxy, "proxy p service s cmd=sleep 100", "service s startwait_secs=0.2",
		`proxy p service t cmd=sleep 100; sleep 100`, "service t startwait_secs=0.2")
	c.ok("command start all")
	c.until("both running", func() bool { return c.status("s")[1] == "running" && c.status("t")[1] == "running" })
	_, ppid := c.proxyStatus("p")
	ps, _ := strconv.Atoi(c.status("s")[2])
	pt, _ := strconv.Atoi(c.status("t")[2])
	d.cmd.Process.Signal(syscall.SIGTERM)
	if err := d.waitExit(); err != nil {
		t.Fatalf("exit: %v\n%s", err, d.stderr.String())
	}
	for _, p := range []int{ppid, ps, pt} {
		if syscall.Kill(p, 0) == nil {
			t.Errorf("pid %d survived the shutdown", p)
		}
	}
}

// TestProxiedStopwaitKillsThroughAHandle: a proxied service that ignores
// SIGTERM is SIGKILLed by cfkd once stopwait elapses, through the pidfd
// taken when the proxy reported its pid (REFERENCE §4.5): the proxy then
// reports signal 9, and the service ends in fail.
func TestProxiedStopwaitKillsThroughAHandle(t *testing.T) {
	if !osproc.Pidfds {
		t.Skip("no pidfds in this build: a proxied pid is never signalled (TestProxiedStopwaitWithoutHandle, REFERENCE §11)")
	}
	proxy := needProxy(t)
	d := startDaemon(t, "")
	defer d.stop()
	c := d.dial()
	c.ok("proxy p cmd="+proxy,
		`proxy p service s cmd=["sh","-c","trap '' TERM; while :; do sleep 0.1; done"]`,
		"service s startwait_secs=0.2", "service s stopwait_secs=0.3")
	c.ok("command start service s")
	c.until("s running", func() bool { return c.status("s")[1] == "running" })
	pid, _ := strconv.Atoi(c.status("s")[2])
	c.ok("command stop service s")
	c.until("s killed", func() bool { return c.status("s")[1] == "fail" })
	if st := c.status("s"); st[6] != "Received signal 9" {
		t.Fatalf("status %q, want fail by signal 9", st)
	}
	if err := syscall.Kill(pid, 0); err == nil {
		t.Fatalf("pid %d still alive", pid)
	}
	c.until("the log says why", func() bool {
		b, _ := os.ReadFile(filepath.Join(d.home, "cfkd.log"))
		return strings.Contains(string(b), "service s still running after 300ms, killing.")
	})
}

// TestProxiedStopwaitWithoutHandle: without pidfds (macOS, FreeBSD, -tags
// cfkportable) cfkd holds no handle on a pid a proxy forked, so it never
// signals it: a proxied service that ignores SIGTERM is not SIGKILLed
// after stopwait; one stopwait later it is considered down, in fail, and
// the log says why (REFERENCE §4.5, §11).
func TestProxiedStopwaitWithoutHandle(t *testing.T) {
	if osproc.Pidfds {
		t.Skip("pidfds in this build: TestProxiedStopwaitKillsThroughAHandle")
	}
	proxy := needProxy(t)
	d := startDaemon(t, "")
	defer d.stop()
	c := d.dial()
	c.ok("proxy p cmd="+proxy,
		`proxy p service s cmd=["sh","-c","trap '' TERM; while :; do sleep 0.1; done"]`,
		"service s startwait_secs=0.2", "service s stopwait_secs=0.3")
	c.ok("command start service s")
	c.until("s running", func() bool { return c.status("s")[1] == "running" })
	pid, _ := strconv.Atoi(c.status("s")[2])
	defer syscall.Kill(pid, syscall.SIGKILL) // the test's own clean-up: cfkd will not
	c.ok("command stop service s")
	c.until("s given up on", func() bool { return c.status("s")[1] == "fail" })
	if st := c.status("s"); st[6] != "proxy did not report the exit" {
		t.Fatalf("status %q, want fail: proxy did not report the exit", st)
	}
	if err := syscall.Kill(pid, 0); err != nil {
		t.Fatalf("pid %d was signalled: %v", pid, err)
	}
	c.until("the log says why", func() bool {
		b, _ := os.ReadFile(filepath.Join(d.home, "cfkd.log"))
		return strings.Contains(string(b), "no handle on the process: not killing")
	})
}
