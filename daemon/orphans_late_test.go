//go:build linux

package daemon

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/osproc"
)

// A daemon of a stopped service that forks a successor as it handles the
// SIGTERM of the clean-up (a daemon that re-spawns itself, a shutdown
// hook that detaches) made a process after the scan: neither seen at it
// nor below the daemon before it was ended. It ran on, adopted by cfkd,
// after 'cfkctl stop' said stopped, until cfkd's shutdown. It is a late
// orphan of the stopped run now, and ended (REFERENCE §7.5).
func TestStopEndsTheSuccessorADaemonForksOnSIGTERM(t *testing.T) {
	const script = `setsid /bin/sh -c 'trap "setsid sleep 1093 </dev/null >/dev/null 2>&1 & exit 0" TERM; while :; do sleep 0.05; done' lateparent </dev/null >/dev/null 2>&1 & while :; do sleep 0.05; done`
	r := newOrphanRig(t, script)
	t.Cleanup(func() {
		for _, pid := range successors() {
			killOrphan(t, pid)
		}
	})
	waitTrapSet(t, r.svc.Pid) // before the stop
	r.stopAndWait(t, syscall.SIGTERM)
	for _, pid := range successors() {
		if p, ok := osproc.ReadProc(pid); ok && p.State != 'Z' {
			t.Errorf("service svc stopped by cfkd has exited; pid %d (ppid %d), which its daemon forked on SIGTERM, was left running", pid, p.Ppid)
		}
	}
}

// waitTrapSet waits until the daemon below pid catches SIGTERM (its trap
// is set: trapSet), 5 s at most.
func waitTrapSet(t *testing.T, pid int) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); !trapSet(pid); {
		if time.Now().After(end) {
			t.Fatal("the daemon never set its SIGTERM trap")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// trapSet says whether a descendant of pid named lateparent catches
// SIGTERM.
func trapSet(pid int) bool {
	for d := range osproc.Descendants([]int{pid}) {
		cmd, _ := os.ReadFile("/proc/" + strconv.Itoa(d) + "/cmdline")
		if !bytes.Contains(cmd, []byte("lateparent")) {
			continue
		}
		status, _ := os.ReadFile("/proc/" + strconv.Itoa(d) + "/status")
		for _, line := range strings.Split(string(status), "\n") {
			if mask, ok := strings.CutPrefix(line, "SigCgt:\t"); ok {
				m, err := strconv.ParseUint(mask, 16, 64)
				return err == nil && m&(1<<(syscall.SIGTERM-1)) != 0
			}
		}
	}
	return false
}

// successors are the test process's children running sleep 1093.
func successors() []int { return childrenRunning("sleep\x001093\x00") }

// childrenRunning are the test process's children whose command line is
// cmdline.
func childrenRunning(cmdline string) []int {
	return childrenWhere(func(cmd []byte) bool { return string(cmd) == cmdline })
}

// childrenWhere are the test process's children whose command line
// matches.
func childrenWhere(match func(cmd []byte) bool) []int {
	var pids []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmd, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if p, ok := osproc.ReadProc(pid); ok && p.Ppid == os.Getpid() && match(cmd) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// A new run launched while the clean-up of the stopped one goes on keeps
// its daemons: they started at or after its launch, so they are not late
// orphans of the stopped run, though they started after the scan.
func TestStopCleanUpSparesTheNextRunsDaemons(t *testing.T) {
	// the daemon takes 0.5 s to end: the new run starts meanwhile; it
	// touches mark once it has forked its successor
	mark := filepath.Join(t.TempDir(), "forked")
	script := `setsid /bin/sh -c 'trap "setsid sleep 1093 </dev/null >/dev/null 2>&1 & touch ` + mark + `; sleep 0.5; exit 0" TERM; while :; do sleep 0.05; done' lateparent </dev/null >/dev/null 2>&1 & while :; do sleep 0.05; done`
	r := newOrphanRig(t, script)
	stopWithDaemon(t, r)
	// the exit is told, the successor forked (mark: the clean-up may have
	// ended it already, so it is not looked for): the service starts
	// again, in a later tick of the clock of start times than the
	// successor's fork (one in the same 10 ms cannot be told from it, and
	// the successor is kept), and daemonises at once
	forked := uint64(0)
	for end := time.Now().Add(5 * time.Second); ; {
		if forked == 0 {
			if _, err := os.Stat(mark); err == nil {
				forked = osproc.BootTicks() // not before the successor's fork
			}
		} else if osproc.BootTicks() > forked {
			break
		}
		if time.Now().After(end) {
			t.Fatal("the daemon never forked its successor")
		}
		time.Sleep(5 * time.Millisecond)
	}
	daemon := nextRunsDaemon(t, r, r.env)
	nextRunKept(t, r, daemon)
}

// stopWithDaemon stops r's service, whose daemon catches SIGTERM, as
// cfkd does, and waits until its exit is told (the clean-up's scan done);
// the successors and new runs' daemons left are killed at the end.
func stopWithDaemon(t *testing.T, r *orphanRig) {
	t.Helper()
	t.Cleanup(func() {
		for _, pid := range append(successors(), childrenRunning("sleep\x001094\x00")...) {
			killOrphan(t, pid)
		}
	})
	waitTrapSet(t, r.svc.Pid)
	if err := r.k.SignalStop(r.svc, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case ws := <-r.svcExit:
		r.svcExit <- ws // for the cleanup
	case <-time.After(10 * time.Second):
		t.Fatal("the service did not stop")
	}
}

// nextRunsDaemon launches a new run of r's service with env, which
// daemonises at once (sleep 1094), and returns its daemon once adopted.
func nextRunsDaemon(t *testing.T, r *orphanRig, env []string) osproc.ProcInfo {
	t.Helper()
	launchRun(t, r, env, "/bin/sh", "-c", `/bin/sh -c 'setsid sleep 1094 </dev/null >/dev/null 2>&1 &'; exec sleep 1000`)
	for end := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if pids := childrenRunning("sleep\x001094\x00"); len(pids) > 0 {
			if d, ok := osproc.ReadProc(pids[0]); ok {
				return d
			}
		}
		if time.Now().After(end) {
			t.Fatal("the new run's daemon was never adopted")
		}
	}
}

// launchRun launches a new run of r's service, argv with env, through
// the orphan killer as cfkd does; exited is closed at its exit. It is
// killed, and reaped, at the end of the test.
func launchRun(t *testing.T, r *orphanRig, env []string, argv ...string) (p *osproc.Process, exited <-chan struct{}) {
	t.Helper()
	done := make(chan struct{})
	p, err := r.k.Launch(osproc.Spec{Argv: argv, Env: env, Setsid: true, Tag: actors.ServiceTag("svc")},
		func(int, syscall.WaitStatus) { close(done) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		r.k.Launcher.Signal(p, syscall.SIGKILL)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Errorf("the new run %d was not reaped", p.Pid)
		}
	})
	return p, done
}

// nextRunKept waits for the clean-up of the stopped run, then checks
// that it ended the successor its daemon forked on SIGTERM and kept the
// new run's daemon.
func nextRunKept(t *testing.T, r *orphanRig, daemon osproc.ProcInfo) {
	t.Helper()
	r.k.pending.Wait()
	if len(successors()) > 0 {
		t.Errorf("the successor that the stopped run's daemon forked on SIGTERM was left running: %v", successors())
	}
	if q, ok := osproc.ReadProc(daemon.Pid); !ok || q.State == 'Z' || q.Start != daemon.Start {
		t.Errorf("the daemon (pid %d) of the new run was ended by the stopped run's clean-up", daemon.Pid)
	}
}

// A restart launches the new run as soon as the stopped one's exit is
// told (after the scan), before that run's daemon, told to end, forks
// its successor: the successor started after the new launch, so the
// launch's time could not tell it from the new run's daemons, and it ran
// on after `cfkctl restart` (REFERENCE §7.5). It carries the stopped
// run's CFK_RUN_ID, inherited: it is ended by it, and the new run's
// daemon, which carries the new run's, is kept.
func TestRestartEndsTheSuccessorForkedAfterTheNewLaunch(t *testing.T) {
	// the daemon forks its successor once mark exists: after the new
	// run's launch, as a daemon slow to handle its SIGTERM does
	mark := filepath.Join(t.TempDir(), "launched")
	script := `setsid /bin/sh -c 'trap "while [ ! -e ` + mark + ` ]; do sleep 0.01; done; setsid sleep 1093 </dev/null >/dev/null 2>&1 & exit 0" TERM; while :; do sleep 0.05; done' lateparent </dev/null >/dev/null 2>&1 & while :; do sleep 0.05; done`
	r := newOrphanRigEnv(t, script, actors.RunIDVar+"=run1")
	r.k.grace = time.Minute // no SIGKILL before the successor is forked
	stopWithDaemon(t, r)
	if len(successors()) > 0 {
		t.Fatal("the successor was forked before the new launch: the test tells nothing")
	}
	daemon := nextRunsDaemon(t, r, append(slices.Clone(r.env[:len(r.env)-1]), actors.RunIDVar+"=run2"))
	if err := os.WriteFile(mark, nil, 0o644); err != nil { // the successor forks now
		t.Fatal(err)
	}
	nextRunKept(t, r, daemon)
}

// A daemon that an earlier run left (its run exited on its own: the
// daemon is kept, REFERENCE §7.5) is ended by the clean-up of a later
// run's stop, as every orphan of the service is; the successor it forks
// as it handles that SIGTERM carries the earlier run's CFK_RUN_ID,
// inherited, which is neither the stopped run's nor a new run's: it is a
// late orphan of the clean-up, and ended. It ran on, taken for another
// run's daemon, after 'cfkctl stop' said stopped.
func TestStopEndsTheSuccessorOfAnEarlierRunsDaemon(t *testing.T) {
	const script = `setsid /bin/sh -c 'trap "setsid sleep 1093 </dev/null >/dev/null 2>&1 & exit 0" TERM; while :; do sleep 0.05; done' lateparent </dev/null >/dev/null 2>&1 & exit 0`
	r := newOrphanRigEnv(t, script, actors.RunIDVar+"=run1")
	t.Cleanup(func() {
		for _, pid := range append(successors(), lateParents()...) {
			killOrphan(t, pid)
		}
	})
	select { // run1 exits on its own: its daemon is kept
	case ws := <-r.svcExit:
		r.svcExit <- ws // for the cleanup
	case <-time.After(10 * time.Second):
		t.Fatal("the first run did not exit")
	}
	waitTrapSet(t, os.Getpid()) // the first run's daemon, adopted
	p, exited := launchRun(t, r, append(slices.Clone(r.env[:len(r.env)-1]), actors.RunIDVar+"=run2"), "sleep", "1000")
	if err := r.k.SignalStop(p, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		t.Fatal("the second run did not stop")
	}
	r.k.pending.Wait()
	for _, pid := range successors() {
		if q, ok := osproc.ReadProc(pid); ok && q.State != 'Z' {
			t.Errorf("pid %d, which the first run's daemon forked as the second run's stop ended it, was left running", pid)
		}
	}
}

// lateParents are the test process's children that run the daemon of
// the scripts above (lateparent).
func lateParents() []int {
	return childrenWhere(func(cmd []byte) bool { return bytes.HasSuffix(cmd, []byte("\x00lateparent\x00")) })
}
