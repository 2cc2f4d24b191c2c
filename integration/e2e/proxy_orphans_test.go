package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/cfk/cfk/osproc"
)

// A proxied service that cfkd stopped left its daemons running, so each
// restart ran one more set beside the last (REFERENCE §7.5):
//   - cfk-proxy is a child subreaper: it adopts them, and cfkd's scan
//     cannot see them. It now ends the orphans of a child it stopped
//     before it reports the exit.
//   - the Python preload proxy is none: cfkd adopts them, but only a
//     direct child's exit was followed by the scan for them. The proxy's
//     report of the exit of a process cfkd asked it to stop now waits for
//     that scan, as the reaper's report does.
//
// Either way, the next start's daemon is not taken for the last one's.
func TestProxiedStopEndsTheOrphans(t *testing.T) {
	t.Parallel()
	t.Run("cfk-proxy", func(t *testing.T) { proxiedStopEndsTheOrphans(t, needProxy(t)) })
	t.Run("python", func(t *testing.T) { proxiedStopEndsTheOrphans(t, needPythonProxy(t)) })
}

func proxiedStopEndsTheOrphans(t *testing.T, proxyCmd string) {
	d := startDaemon(t, "")
	defer d.stop()
	c := d.dial()
	c.ok("proxy p cmd="+proxyCmd,
		`proxy p service s cmd=(setsid sleep 1003 </dev/null >/dev/null 2>&1 &); exec sleep 1000`,
		"service s startwait_secs=0.2")
	c.ok("command start service s")
	c.until("s running", func() bool { return c.status("s")[1] == "running" })
	first := daemonOf(t, d.home, "s", "sleep\x001003")
	c.ok("command restart service s")
	c.until("s running again", func() bool { st := c.status("s"); return st[1] == "running" && st[2] != "" })
	waitLog(t, d.home, "killing orphan pid "+strconv.Itoa(first)+" (sleep) left by service s")
	waitFor(t, "the first daemon gone", func() bool { return gone(first) })
	second := daemonOf(t, d.home, "s", "sleep\x001003")
	if gone(second) {
		t.Fatalf("the daemon of the run after the restart (pid %d) was ended", second)
	}
	c.ok("command stop service s")
	c.until("s stopped", func() bool { return c.status("s")[1] == "stopped" })
	waitFor(t, "the second daemon gone", func() bool { return gone(second) })
}

// gone says whether pid is no process any more, or a zombie.
func gone(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	return err != nil || strings.Contains(string(b), ") Z ")
}

// A proxy that forked a service and died before it wrote `started` left
// that process running, adopted by cfkd, which knew no pid of it: the
// service went to fail (`proxy stopped`) and the process ran on,
// supervised by nobody, until the service's next stop. cfkd now ends the
// orphans of the service started since its start line once the proxy's
// exit is reaped (REFERENCE §4.5).
func TestProxyDeadBeforeItsReportEndsItsFork(t *testing.T) {
	d := startDaemon(t, "")
	defer d.stop()
	script := filepath.Join(t.TempDir(), "forkdie.sh")
	// reads the start, forks the service's process, dies
	if err := os.WriteFile(script, []byte(`#!/bin/sh
read -r line <&3
CONTROL_FREAK_ENABLED=1 CONTROL_FREAK_SERVICE=s setsid sleep 1005 </dev/null >/dev/null 2>&1 3<&- 4>&- 5>&- &
kill -9 $$
`), 0o755); err != nil {
		t.Fatal(err)
	}
	c := d.dial()
	c.ok("proxy p cmd="+script, "proxy p service s cmd=sleep 1000")
	c.ok("command start service s")
	c.until("s failed", func() bool { return c.status("s")[1] == "fail" })
	waitLog(t, d.home, "proxy 'p' ended before cfkd held the process of 's'")
	log := waitLog(t, d.home, ") left by service s") // (setsid), or (sleep) once it exec'd
	i := strings.Index(log, "killing orphan pid ")
	if i < 0 {
		t.Fatalf("cfkd.log names no orphan killed:\n%s", log)
	}
	pid, err := strconv.Atoi(strings.Fields(log[i+len("killing orphan pid "):])[0])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	waitFor(t, "the process the proxy forked gone", func() bool { return gone(pid) })
}

// REFERENCE §4.5, §7.5: the process of a start its service gave up (the
// stop came before the proxy reported the pid: a proxy that preloads) is
// killed when its `started` comes; its exit is a stopped run's, and the
// daemon it forked before the kill (in a session of its own, ignoring
// SIGTERM) is ended. That exit was taken for the end of a start given
// up, and the daemon ran on, supervised by nobody, until the service's
// next stop. The proxy is a script that is no subreaper (as the Python
// preload proxy): cfkd adopts the daemon.
func TestGivenUpStartEndsItsDaemon(t *testing.T) {
	t.Parallel()
	if !osproc.Pidfds {
		t.Skip("no pidfds in this build: cfkd holds no handle on the process, and does not kill it (REFERENCE §11)")
	}
	dir := t.TempDir()
	gate, daemonPid, svcPid := filepath.Join(dir, "gate"), filepath.Join(dir, "daemon"), filepath.Join(dir, "svc")
	svc := filepath.Join(dir, "svc.sh")
	// the service's process: a daemon that ignores SIGTERM, then a sleep
	if err := writeExecutable(svc, []byte(`#!/bin/sh
setsid sh -c 'trap "" TERM; echo $$ > `+daemonPid+`; exec sleep 1007' </dev/null >/dev/null 2>&1 &
exec sleep 1006
`)); err != nil {
		t.Fatal(err)
	}
	// loads until the gate opens, forks the start it reads, reports it
	// once its daemon runs (so before cfkd kills it), then its exit
	proxy := filepath.Join(dir, "proxy.sh")
	if err := writeExecutable(proxy, []byte(`#!/bin/sh
until [ -e `+gate+` ]; do sleep 0.05; done
read -r line <&3
CONTROL_FREAK_ENABLED=1 CONTROL_FREAK_SERVICE=s setsid `+svc+` </dev/null >/dev/null 2>&1 3<&- 4>&- 5>&- &
pid=$!
echo $pid > `+svcPid+`
until [ -s `+daemonPid+` ]; do sleep 0.01; done
echo '{"status":"started","name":"s","pid":'$pid'}' >&4
wait $pid
echo '{"status":"stopped","name":"s","pid":'$pid',"exit_status":9}' >&4
exec cat <&3 >/dev/null
`)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // whatever the test saw of them
		for _, f := range []string{daemonPid, svcPid} {
			if b, err := os.ReadFile(f); err == nil {
				if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
					syscall.Kill(pid, syscall.SIGKILL)
				}
			}
		}
	})
	d := startDaemon(t, "")
	defer d.stop()
	c := d.dial()
	c.ok("proxy p cmd="+proxy, "proxy p noauto=1", "proxy p service s cmd=sleep 1000", "service s stopwait_secs=0.5")
	pid := giveUpAStart(t, d, c, gate, daemonPid)
	waitLog(t, d.home, "killing orphan pid "+strconv.Itoa(pid)+" (sleep) left by service s")
	waitFor(t, "the daemon of the given-up start gone", func() bool { return gone(pid) })
}

// giveUpAStart has cfkd give up a start of service s under proxy p, which
// loads until gate exists: p is run, s started (its start line written)
// and stopped before p reported its pid; then p loads, forks s, whose
// process forks a daemon that writes its pid to daemonPid, and reports
// it, and cfkd kills that process (unless p, which reads the stop line
// right after, ended it before cfkd took its handle). It returns the
// daemon's pid.
func giveUpAStart(t *testing.T, d *daemon, c *client, gate, daemonPid string) int {
	t.Helper()
	c.ok("command proxyup p")
	var ppid int
	c.until("p up", func() bool { st, pid := c.proxyStatus("p"); ppid = pid; return st == "up" && pid != 0 })
	c.ok("command start service s")
	// the stop must come once cfkd wrote the start line, which p, loading,
	// does not read: one that came before would take it back (REFERENCE
	// §4.5), and no start would be given up
	waitFor(t, "s's start line in p's command pipe", func() bool { return pipeUnread(ppid, 3) > 0 })
	c.ok("command stop service s")
	c.until("s stopped", func() bool { return c.status("s")[1] == "stopped" })
	if err := os.WriteFile(gate, nil, 0o600); err != nil { // the proxy loads now
		t.Fatal(err)
	}
	waitLog(t, d.home, "for a start the service gave up: ") // killing it, or it had already ended (the proxy read the stop line too)
	b, err := os.ReadFile(daemonPid)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// daemonOf waits for a live process of service svc (by its CONTROL_FREAK_SERVICE)
// whose command line starts with cmdline (its words NUL-separated), and
// kills it at the test's end, whatever became of it.
func daemonOf(t *testing.T, home, svc, cmdline string) (pid int) {
	t.Helper()
	waitFor(t, "the daemon of "+svc, func() bool {
		for _, p := range procsOf(home, svc, 0) {
			if b, _ := os.ReadFile("/proc/" + strconv.Itoa(p) + "/cmdline"); strings.HasPrefix(string(b), cmdline) && !gone(p) {
				pid = p
				return true
			}
		}
		return false
	})
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	return pid
}
