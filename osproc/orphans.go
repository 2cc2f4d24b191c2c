package osproc

import (
	"os"
	"time"
)

// Orphan is a process the daemon adopted as a child subreaper: a live
// child of it that Launch did not start (typically a service's grandchild
// that daemonised: its parent exited, the kernel reparented it to cfkd).
type Orphan struct {
	ProcInfo
	// Service is its CONTROL_FREAK_SERVICE ("" when absent or its
	// environment is unreadable).
	Service string
	// Run is its CFK_RUN_ID: the run of its service it was forked by
	// ("" when absent: a process of a cfkd before it set one, or of a
	// proxy's service).
	Run string
}

// AdoptedOrphans lists the adopted orphans alive now (zombies left out:
// the reaper takes them). It reads the daemon's list of children
// (Children: a file per thread) and, for each child Launch did not
// start, its /proc/PID/stat and environment; where the kernel has no
// such list, it scans every /proc/PID/stat instead. Call it on an
// event, never in a loop: it waits for the orphans it finds in the
// middle of an execve (environOf), up to execWait in all. It may list a
// child of a Launch still forking; TargetOrphans leaves those out.
func (l *Launcher) AdoptedOrphans() []Orphan {
	self := os.Getpid()
	pids, ok := listChildren()
	if !ok {
		pids = Pids()
	}
	until := time.Now().Add(execWait)
	var out []Orphan
	for _, pid := range l.notLaunched(pids) {
		p, ok := ReadProc(pid)
		if !ok || p.Ppid != self || p.State == 'Z' {
			continue
		}
		env := environOf(pid, until)
		svc, _ := Getenv(env, "CONTROL_FREAK_SERVICE")
		run, _ := Getenv(env, "CFK_RUN_ID")
		out = append(out, Orphan{ProcInfo: p, Service: svc, Run: run})
	}
	return out
}

// execWait bounds the wait of one AdoptedOrphans for the environments of
// the orphans it found in the middle of an execve, all of them together
// (they run their execs meanwhile): 40 times the longest execve seen,
// and short enough for cfk-proxy's loop, which calls it, in a shutdown
// that cfkd gives little more than the proxy's grace.
const execWait = 250 * time.Millisecond

// environOf is the environment of pid, read again while pid is in the
// middle of an execve (environState), a few ms apart, until it is there
// or until: the environment reads empty for that moment. An orphan that
// was exec'ing (a service's `cmd &` whose fork was exec'ing, a daemon
// that a dying proxy forked) was listed without its service, and escaped
// the scan after its service's stop or its proxy's end: it ran on
// unsupervised. Five reads 2 ms apart, as it was read, missed an execve
// that a loaded machine makes last longer (up to 6 ms seen beside the
// race-enabled tests on 2 cores), and cost 10 ms for each orphan whose
// environment is empty for good, now read once.
func environOf(pid int, until time.Time) []string {
	pause := time.Millisecond
	for {
		env, execing := readEnviron(pid)
		if !execing || !time.Now().Before(until) {
			return env
		}
		time.Sleep(pause) // bounded by until: a scan runs on an event, never in an actor
		pause = min(2*pause, 10*time.Millisecond)
	}
}

// readEnviron is environState (a test makes a process look in the middle
// of an execve).
var readEnviron = environState

// listChildren is OrphanCandidates (a test makes it fail, to run the
// scan).
var listChildren = OrphanCandidates

// notLaunched keeps, in place, the pids that are not live children
// started by Launch.
func (l *Launcher) notLaunched(pids []int) []int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := pids[:0]
	for _, pid := range pids {
		if _, ok := l.procs[pid]; !ok {
			out = append(out, pid)
		}
	}
	return out
}

// TargetOrphans takes a Target on each orphan that is still one: checked
// under the reaper's mutex to be an unreaped child of the daemon that
// Launch did not start, so that a pid reaped (and maybe reused) since
// AdoptedOrphans is never signalled.
//
// No fork is under way meanwhile: every fork slot is taken first (waiting
// for the forks in progress, a few milliseconds at most), because a child
// forked but not yet registered would look like an orphan; by one
// TargetOrphans at a time (holdAll), which others wait for.
func (l *Launcher) TargetOrphans(orphans []Orphan) []*Target {
	self := os.Getpid()
	var ts []*Target
	l.forks.holdAll() // also once a shutdown stopped the launches
	defer l.forks.giveAll()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, o := range orphans {
		if _, ok := l.procs[o.Pid]; ok {
			continue
		}
		t, err := l.targetChild(o.Pid)
		if err != nil {
			continue // gone, and reaped
		}
		// the target is taken (a pidfd, or mu alone: nopidfd.go):
		// whatever the check below says stays true of that process, and
		// the reaper (which needs mu) cannot have reaped it between the
		// two.
		p, ok := ReadProc(o.Pid)
		switch {
		case !ok:
		case o.Start != 0:
			// not a new orphan that reused the pid: the start time says
			// it (its environment does not always: read while the
			// process is in an execve, it came back empty, and an orphan
			// that was exec'ing escaped the sweep)
			ok = p.Start == o.Start
		case o.Service != "":
			svc, _ := Getenv(Environ(o.Pid), "CONTROL_FREAK_SERVICE")
			ok = svc == o.Service
		}
		if !ok || p.Ppid != self {
			t.Close()
			continue
		}
		t.Group = p.Pgid == p.Pid
		l.keepTarget(t)
		ts = append(ts, t)
	}
	return ts
}

// KillOrphans terminates the orphans that are still ones (TargetOrphans),
// SIGTERM first (their process group when they lead one), SIGKILL after
// grace; see Terminate. It blocks up to 2×grace.
func (l *Launcher) KillOrphans(orphans []Orphan, grace time.Duration) (killed, survived []int) {
	return Terminate(l.TargetOrphans(orphans), grace)
}
