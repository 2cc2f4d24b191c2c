//go:build linux

package proxyproc

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/proxywire"
)

// A service that daemonised left its daemon running after the proxy
// stopped it: the proxy, a child subreaper, adopted the daemon, so cfkd's
// scan for the orphans of a service it stopped (REFERENCE §7.5) could not
// see it, and every restart ran one more. The proxy now ends the orphans
// of a child it stopped, before it reports the child's exit.
func TestStopEndsTheOrphansOfTheChild(t *testing.T) {
	r := newRig(t, nil, 200*time.Millisecond)
	pidFile := filepath.Join(t.TempDir(), "daemon.pid")
	r.start(proxywire.Command{Name: "forker", Cmd: `(setsid sh -c 'trap "" TERM; echo $$ > ` + pidFile + `; exec sleep 1004' </dev/null >/dev/null 2>&1 &); echo ready; exec sleep 30`})
	r.waitLog("out:forker:ready")
	daemon := waitDaemon(t, pidFile)
	r.send(`{"command":"stop","name":"forker"}`)
	r.waitStatus("forker", proxywire.StatusStopped)
	// it traps TERM: the log says it needed SIGKILL, after the grace
	r.waitLog("err:-:killing orphan pid " + strconv.Itoa(daemon) + " (sleep) left by service forker")
	r.waitLog("err:-:orphan pid " + strconv.Itoa(daemon) + " (sleep) left by service forker ignored SIGTERM: sent SIGKILL")
	waitGone(t, "the daemon of the stopped service", daemon)
}

// A child stopped by a signal (SIGSTOP, a job-control stop) holds the
// SIGTERM of its stop pending: the proxy sends SIGCONT after it, as cfkd
// does for a direct service, and the child's TERM handler runs (exit 0);
// it was SIGKILLed by cfkd at stopwait, a stop ending in fail.
func TestStopContinuesAStoppedChild(t *testing.T) {
	r := newRig(t, nil, 0)
	r.start(proxywire.Command{Name: "frozen", Cmd: `trap 'exit 0' TERM; echo ready; kill -STOP $$; while :; do sleep 0.05; done`})
	st, _ := r.waitStatus("frozen", proxywire.StatusStarted)
	r.waitLog("out:frozen:ready")
	for end := time.Now().Add(deadline); ; time.Sleep(10 * time.Millisecond) {
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(st.Pid) + "/stat")
		if strings.Contains(string(b), ") T ") {
			break
		}
		if time.Now().After(end) {
			t.Fatal("the child never stopped itself")
		}
	}
	r.send(`{"command":"stop","name":"frozen"}`)
	if got, _ := r.waitStatus("frozen", proxywire.StatusStopped); got.ExitStatus != 0 {
		t.Errorf("the stopped child ended with status %d, want 0 from its TERM handler", got.ExitStatus)
	}
}

// REFERENCE §4.5, §4.6, §7.5: a child whose exit the proxy reaped before
// it read the stop line cfkd wrote for it (cfkd kills at once the process
// of a `started` that came after its service's stop, and had written the
// stop line after the start's; a stop crossing an exit) is a stopped
// run's: at that stop line, the proxy ends the orphans it left. The exit,
// taken for one on its own, kept them (a forking service's), and the stop
// line got `Oops, I don't know about 'late'`: the daemon ran on,
// unsupervised, until the proxy ended. A child that exits on its own
// keeps its daemon, and a second stop line is unknown again.
func TestStopAfterTheExitEndsTheOrphansOfTheChild(t *testing.T) {
	r := newRig(t, nil, 200*time.Millisecond)
	dir := t.TempDir()
	latePid, ownPid := filepath.Join(dir, "late.pid"), filepath.Join(dir, "own.pid")
	r.start(proxywire.Command{Name: "late", Cmd: `(setsid sh -c 'trap "" TERM; echo $$ > ` + latePid + `; exec sleep 1008' </dev/null >/dev/null 2>&1 &); exec sleep 30`})
	r.start(proxywire.Command{Name: "own", Cmd: `(setsid sh -c 'echo $$ > ` + ownPid + `; exec sleep 1009' </dev/null >/dev/null 2>&1 &); until [ -s ` + ownPid + ` ]; do sleep 0.01; done; exit 3`})
	daemon, kept := waitDaemon(t, latePid), waitDaemon(t, ownPid)
	if got, _ := r.waitStatus("own", proxywire.StatusStopped); got.ExitStatus != 3<<8 {
		t.Fatalf("own ended with status %d, want exit 3", got.ExitStatus)
	}
	st, _ := r.waitStatus("late", proxywire.StatusStarted)
	// cfkd's kill, with its group, of a `started` that came after the stop
	syscall.Kill(-st.Pid, syscall.SIGKILL)
	syscall.Kill(st.Pid, syscall.SIGKILL)
	if got, _ := r.waitStatus("late", proxywire.StatusStopped); got.ExitStatus != int(syscall.SIGKILL) {
		t.Fatalf("late ended with status %d, want SIGKILL", got.ExitStatus)
	}
	r.send(`{"command":"stop","name":"late"}`) // the stop line, read only now
	waitGone(t, "the daemon of the child stopped after its exit", daemon)
	r.waitLog("out:-:stopping late: it had exited (pid " + strconv.Itoa(st.Pid) + ")")
	r.waitLog("err:-:killing orphan pid " + strconv.Itoa(daemon) + " (sleep) left by service late")
	r.send(`{"command":"stop","name":"late"}`)
	r.waitLog("err:-:Oops, I don't know about 'late'")
	if !alive(kept) {
		t.Errorf("the daemon (pid %d) of a child that exited on its own was ended", kept)
	}
}

// waitDaemon waits for the pid a daemon wrote in pidFile, and for it to
// run sleep (the log names it by its command: a stop once came while its
// sh had not exec'd sleep yet, "(sh)"); it is killed at the test's end.
func waitDaemon(t *testing.T, pidFile string) int {
	t.Helper()
	seen := 0
	for end := time.Now().Add(deadline); ; time.Sleep(10 * time.Millisecond) {
		b, _ := os.ReadFile(pidFile)
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && n > 0 {
			if seen == 0 {
				seen = n
				t.Cleanup(func() { syscall.Kill(n, syscall.SIGKILL) })
			}
			if comm, _ := os.ReadFile("/proc/" + strconv.Itoa(n) + "/comm"); string(comm) == "sleep\n" {
				return n
			}
		}
		if time.Now().After(end) {
			t.Fatalf("the daemon never wrote its pid in %s, or never exec'd sleep", pidFile)
		}
	}
}

// waitGone fails the test unless pid is gone (or a zombie) within the
// deadline.
func waitGone(t *testing.T, what string, pid int) {
	t.Helper()
	for end := time.Now().Add(deadline); alive(pid); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("%s (pid %d) is still alive", what, pid)
		}
	}
}

// alive: pid exists and is no zombie.
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	return err == nil && !strings.Contains(string(b), ") Z ")
}
