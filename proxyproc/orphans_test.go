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
	var daemon, seen int
	for end := time.Now().Add(deadline); daemon == 0; {
		b, _ := os.ReadFile(pidFile)
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && n > 0 {
			if seen == 0 {
				seen = n
				t.Cleanup(func() { syscall.Kill(n, syscall.SIGKILL) })
			}
			// the log names it by its command: wait until its sh has
			// exec'd sleep (the stop once came first: "(sh)")
			if comm, _ := os.ReadFile("/proc/" + strconv.Itoa(n) + "/comm"); string(comm) == "sleep\n" {
				daemon = n
				break
			}
		}
		if time.Now().After(end) {
			t.Fatal("the daemon never wrote its pid, or never exec'd sleep")
		}
		time.Sleep(10 * time.Millisecond)
	}
	r.send(`{"command":"stop","name":"forker"}`)
	r.waitStatus("forker", proxywire.StatusStopped)
	// it traps TERM: the log says it needed SIGKILL, after the grace
	r.waitLog("err:-:killing orphan pid " + strconv.Itoa(daemon) + " (sleep) left by service forker")
	r.waitLog("err:-:orphan pid " + strconv.Itoa(daemon) + " (sleep) left by service forker ignored SIGTERM: sent SIGKILL")
	for end := time.Now().Add(deadline); ; time.Sleep(10 * time.Millisecond) {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(daemon) + "/stat")
		if err != nil || strings.Contains(string(b), ") Z ") {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("the daemon (pid %d) of the stopped service is still alive", daemon)
		}
	}
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
