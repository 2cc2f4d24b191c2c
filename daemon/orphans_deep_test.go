//go:build linux

package daemon

import (
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
