package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// REFERENCE §4.5, §7.5, §13.2: what the process of a proxied start left
// (a daemon, adopted by cfkd: the proxy is no subreaper, as the Python
// preload proxy and the original's are not) is ended once the proxy
// reports that process's exit, when cfkd stopped it or the service gave
// the start up, also when an upgrade in place came between. The state
// carried none of the given-up starts' times (nor, for one whose
// `started` came before the upgrade, the start at all: its exit was an
// unknown service's, an ERROR), nor that a stop was asked: the new cfkd
// left the daemon running, unsupervised. State version 7 carries them.
func TestUpgradeEndsWhatAProxiedStartLeft(t *testing.T) {
	t.Parallel()
	t.Run("stop before the pid", func(t *testing.T) {
		// the start is given up before the upgrade, its `started` and its
		// exit come after
		r := newNoSubreaperProxy(t, "0.3")
		r.startAndWait()
		r.stopGivenUp()
		r.upgrade()
		r.open("started")
		r.open("stopped")
		r.daemonEnded()
	})
	t.Run("started after the stop", func(t *testing.T) {
		// the `started` comes before the upgrade, killed then, the exit
		// after it
		r := newNoSubreaperProxy(t, "0.3")
		r.startAndWait()
		r.stopGivenUp()
		r.open("started")
		// killing it, or it had already ended: the script reads the stop
		// line right after its `started`, and may end and reap the
		// process before cfkd takes its handle (REFERENCE §4.5)
		waitLog(t, r.d.home, "proxy 'p' started 's' (pid "+strconv.Itoa(r.pid)+") for a start the service gave up: ")
		waitFor(t, "the process of the given-up start gone", func() bool { return gone(r.pid) })
		r.upgrade()
		r.open("stopped")
		r.daemonEnded()
	})
	t.Run("stop asked before the upgrade", func(t *testing.T) {
		// the service runs, is stopped; its exit is reported after the
		// upgrade (its stopwait outlasts it)
		r := newNoSubreaperProxy(t, "20")
		r.open("started")
		r.startAndWait()
		r.c.until("s running", func() bool { return r.c.status("s")[1] == "running" })
		r.c.ok("command stop service s")
		waitFor(t, "the process of s gone", func() bool { return gone(r.pid) })
		if st := r.c.status("s")[1]; st != "stopping" {
			t.Fatalf("s is %s, want stopping (its proxy holds its exit)", st)
		}
		r.upgrade()
		if st := r.c.status("s")[1]; st != "stopping" {
			t.Fatalf("s is %s after the upgrade, want stopping", st)
		}
		r.open("stopped")
		r.c.until("s stopped", func() bool { return r.c.status("s")[1] == "stopped" })
		r.daemonEnded()
	})
}

// noSubreaperProxy is a cfkd running proxy p, a shell script that is no
// subreaper, for one service s; the script forks s's process at its
// start line, and reports `started` and the exit only once the test opens
// the gates of those names (the process ends at the stop line); the
// process forks a daemon, whose pid it writes.
type noSubreaperProxy struct {
	t      *testing.T
	d      *daemon
	c      *client
	dir    string
	pid    int // the process of s's start
	daemon int // the daemon it forked
	newBin string
}

func newNoSubreaperProxy(t *testing.T, stopwait string) *noSubreaperProxy {
	newBin, _ := upgradeBins(t)
	dir := t.TempDir()
	svc, proxy := filepath.Join(dir, "svc.sh"), filepath.Join(dir, "proxy.sh")
	write := func(path, text string) {
		if err := writeExecutable(path, []byte(text)); err != nil {
			t.Fatal(err)
		}
	}
	write(svc, `#!/bin/sh
(setsid sh -c 'echo $$ >`+dir+`/daemon.tmp && mv `+dir+`/daemon.tmp `+dir+`/daemon && exec sleep 1031' </dev/null >/dev/null 2>&1 &)
exec sleep 1030
`)
	write(proxy, `#!/bin/sh
read -r start <&3
CONTROL_FREAK_ENABLED=1 CONTROL_FREAK_SERVICE=s `+svc+` 3<&- 4>&- 5>&- &
pid=$!
echo $pid >`+dir+`/pid.tmp && mv `+dir+`/pid.tmp `+dir+`/pid
until [ -e `+dir+`/started ]; do sleep 0.02; done
printf '{"status":"started","name":"s","pid":%d}\n' $pid >&4
read -r stop <&3
kill -TERM $pid 2>/dev/null
wait $pid
st=$?
until [ -e `+dir+`/stopped ]; do sleep 0.02; done
if [ $st -gt 128 ]; then w=$((st-128)); else w=$((st*256)); fi
printf '{"status":"stopped","name":"s","pid":%d,"exit_status":%d}\n' $pid $w >&4
exec cat <&3 >/dev/null
`)
	r := &noSubreaperProxy{t: t, dir: dir, newBin: newBin}
	t.Cleanup(func() { // whatever the test saw of them, and the gates open
		r.open("started")
		r.open("stopped")
		for _, name := range []string{"pid", "daemon"} {
			if pid := r.readPid(name); pid > 0 {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	r.d = startDaemon(t, "")
	r.c = r.d.dial()
	r.c.ok("proxy p cmd="+proxy, "proxy p noauto=1", "proxy p service s cmd=sleep 1030",
		"service s stopwait_secs="+stopwait, "service s startwait_secs=0.2", "command proxyup p")
	r.c.until("p up", func() bool { st, pid := r.c.proxyStatus("p"); return st == "up" && pid != 0 })
	return r
}

// readPid reads the pid the script wrote in file name, 0 when none yet.
func (r *noSubreaperProxy) readPid(name string) int {
	b, err := os.ReadFile(filepath.Join(r.dir, name))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// open opens the gate name.
func (r *noSubreaperProxy) open(name string) {
	if err := os.WriteFile(filepath.Join(r.dir, name), nil, 0o644); err != nil {
		r.t.Error(err)
	}
}

// startAndWait starts s and waits for its process and its daemon: the
// proxy read the start line.
func (r *noSubreaperProxy) startAndWait() {
	r.t.Helper()
	r.c.ok("command start service s")
	waitFor(r.t, "the process of s and its daemon", func() bool {
		r.pid, r.daemon = r.readPid("pid"), r.readPid("daemon")
		return r.pid > 0 && r.daemon > 0
	})
}

// stopGivenUp stops s before its proxy reported the pid: stopped after
// its stopwait, the start given up (REFERENCE §4.5).
func (r *noSubreaperProxy) stopGivenUp() {
	r.t.Helper()
	r.c.ok("command stop service s")
	r.c.until("s stopped", func() bool { return r.c.status("s")[1] == "stopped" })
	waitLog(r.t, r.d.home, "s: its proxy had not reported its pid")
}

// upgrade upgrades cfkd in place; the proxy crosses.
func (r *noSubreaperProxy) upgrade() {
	r.t.Helper()
	r.d.upgradeTo(r.newBin, "cfk "+newVersion)
	r.c = r.d.dial()
	if st, _ := r.c.proxyStatus("p"); st != "up" {
		r.t.Fatalf("proxy p is %s after the upgrade, want up", st)
	}
}

// daemonEnded waits for the new cfkd to end the daemon.
func (r *noSubreaperProxy) daemonEnded() {
	r.t.Helper()
	waitLog(r.t, r.d.home, "killing orphan pid "+strconv.Itoa(r.daemon)+" ")
	waitFor(r.t, "the daemon gone", func() bool { return gone(r.daemon) })
	if log := readLog(r.d.home); strings.Contains(log, "unknown service 's'") {
		r.t.Errorf("cfkd took a report of s for an unknown service's:\n%s", log)
	}
}
