//go:build linux

package daemon

import (
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/osproc"
)

// A stop ends every daemon seen below the stopped service's orphans at
// the scan, however deep the chain of sessions: a chain of five daemons
// (each forked by the last in a session of its own) left the fifth
// running after 'cfkctl stop', adopted by cfkd, while status said
// stopped (the rounds were capped at three; REFERENCE §7.5).
func TestStopEndsADeepChainOfDaemons(t *testing.T) {
	// d N: a daemon in a session of its own, which forks d N-1 likewise
	const chain = `setsid /bin/sh -c 'd() { if [ "$1" -gt 0 ]; then setsid /bin/sh -c "$D" sh $(($1-1)) & fi; exec sleep 1002; }; D='"'"'d() { if [ "$1" -gt 0 ]; then setsid /bin/sh -c "$D" sh $(($1-1)) </dev/null >/dev/null 2>&1 & fi; exec sleep 1002; }; d "$1"'"'"'; export D; d 6' & while :; do sleep 0.05; done`
	r := newOrphanRig(t, chain)
	var chained map[int]uint64
	for end := time.Now().Add(5 * time.Second); ; {
		chained = map[int]uint64{}
		for pid, start := range osproc.Descendants([]int{r.svc.Pid}) {
			if p, ok := osproc.ReadProc(pid); ok && p.Comm == "sleep" && p.Pgid == pid {
				chained[pid] = start
			}
		}
		if len(chained) >= 6 {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("the chain of daemons never started (%d of 6)", len(chained))
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Cleanup(func() {
		for pid := range chained {
			killOrphan(t, pid)
		}
	})
	r.stopAndWait(t, syscall.SIGTERM)
	for pid, start := range chained {
		if p, ok := osproc.ReadProc(pid); ok && p.State != 'Z' && p.Start == start {
			t.Errorf("service svc stopped by cfkd has exited; daemon pid %d (ppid %d, of %v) of its chain was left running", pid, p.Ppid, chained)
		}
	}
}

// A daemon whose parent, a member of the stopped group, exits between the
// scan of cfkd's orphans and the read of their descendants was seen by
// neither: the parent was gone when its children were read, and the
// daemon was cfkd's only after the scan. It ran on, adopted by cfkd,
// while status said stopped (a loaded machine makes that window; here
// the read of the descendants ends the parent first). It is ended now:
// an orphan of the service adopted since the scan, started before it
// (REFERENCE §7.5).
func TestStopEndsADaemonWhoseParentExitsDuringTheScan(t *testing.T) {
	// the member forks the daemon in a session of its own, then ignores
	// SIGTERM, so that it is still alive at the scan
	const member = `/bin/sh -c 'setsid sleep 1003 </dev/null >/dev/null 2>&1 & trap "" TERM; exec sleep 1002' & while :; do sleep 0.05; done`
	r := newOrphanRig(t, member)
	var parent, daemon int
	var daemonStart uint64
	for end := time.Now().Add(5 * time.Second); parent == 0 || daemon == 0; {
		for pid := range osproc.Descendants([]int{r.svc.Pid}) {
			p, ok := osproc.ReadProc(pid)
			if !ok || p.Comm != "sleep" {
				continue
			}
			cmd, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
			switch string(cmd) {
			case "sleep\x001003\x00":
				daemon, daemonStart = pid, p.Start
			case "sleep\x001002\x00":
				parent = pid
			}
		}
		if parent == 0 || daemon == 0 {
			if time.Now().After(end) {
				t.Fatalf("the member and its daemon never started (member %d, daemon %d)", parent, daemon)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	if p, _ := osproc.ReadProc(daemon); p.Ppid != parent {
		t.Fatalf("daemon %d is a child of %d, not of the member %d", daemon, p.Ppid, parent)
	}
	t.Cleanup(func() { killOrphan(t, daemon); killOrphan(t, parent) })

	// the first read of the descendants comes once the member has ended
	first := true
	descendants = func(pids []int) map[int]uint64 {
		if first {
			first = false
			syscall.Kill(parent, syscall.SIGKILL)
			for end := time.Now().Add(10 * time.Second); ; {
				p, ok := osproc.ReadProc(parent)
				if !ok || p.State == 'Z' || p.Ppid != os.Getpid() {
					break
				}
				if time.Now().After(end) {
					t.Errorf("the member %d lives on 10 s after SIGKILL", parent)
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
		return osproc.Descendants(pids)
	}
	t.Cleanup(func() { descendants = osproc.Descendants })

	r.stopAndWait(t, syscall.SIGTERM)
	if first {
		t.Fatal("the stop never read the descendants of the orphans")
	}
	if p, ok := osproc.ReadProc(daemon); ok && p.State != 'Z' && p.Start == daemonStart {
		t.Errorf("service svc stopped by cfkd has exited; daemon pid %d (ppid %d) of its group's member %d was left running", daemon, p.Ppid, parent)
	}
}
