package osproc

import (
	"sync/atomic"
	"syscall"
	"time"
)

// Suspects and the sweep (REFERENCE §7.5, "Reaping"). Where the reaper can peek
// (canPeek), finding an exited child with waitid(P_ALL) walks every child
// of the process, and the reaper's sweep (reapAll) calls it once per exit
// plus once to find none: with N children, a stop of N services one after
// the other (a requires chain) cost O(N²). So:
//
//   - a registered child that Signal signalled (with a signal that may end
//     it: suspectSignal) is a suspect until it is reaped. At a SIGCHLD the
//     reaper first asks each suspect alone (peekExited: waitid(P_PID), whose
//     cost does not grow with N) while there are at most maxSuspects, and
//     reaps those that exited as the sweep would. A suspect still alive
//     suspectLife after its signal (a signal it handles: a SIGHUP to
//     reload, a SIGTERM it takes long to act on) is forgotten, its exit
//     left to the sweep: suspects that do not exit would otherwise hold
//     the maxSuspects places for good (65 services sent `signal HUP`) and
//     leave every later exit to the sweep. Past maxSuspects the stale ones
//     are forgotten at most once per suspectLife (a walk of them all);
//   - the sweep still follows every SIGCHLD (signals coalesce: one may stand
//     for a suspect's exit and another child's), but not within a gap of
//     the last one: sweepCostFactor times what that one took, sweepGap at
//     most, so that sweeping takes a tenth of a core at most. A SIGCHLD
//     within the gap arms a one-shot timer for the sweep instead (at most
//     one armed; nothing runs while no child exits). With a few hundred
//     children a sweep takes microseconds, and so does the gap: a stop of
//     200 reaps each exit as it comes. An exit of a child nobody signalled
//     (a crash) waits sweepGap at most, only in a burst of exits among
//     thousands of children; a suspect's, none.
//
// Invariants: a suspect is reaped only while it is still the entry of its
// pid in procs (not frozen), through reapRegistered, as the sweep does;
// anything else is left to the sweep, which comes after every SIGCHLD.
// The suspects are guarded by suspectMu, taken after a Process's mu
// (Signal), never with Launcher.mu nor a Process's mu taken after it.

// maxSuspects is the number of suspects above which the reaper asks none
// of them (a mass stop): the sweep alone finds the exits, batched by
// sweepGap.
const maxSuspects = 64

// suspectLife is how long after its signal a suspect is asked alone; one
// still alive then is forgotten (left to the sweep).
const suspectLife = time.Second

// suspectOf is a suspect: the Process, and when it was last signalled.
type suspectOf struct {
	p  *Process
	at time.Time
}

// testSuspectLife, when set, replaces suspectLife (tests; atomic: the
// reaper reads it).
var testSuspectLife atomic.Int64

func lifeOfSuspects() time.Duration {
	if d := testSuspectLife.Load(); d > 0 {
		return time.Duration(d)
	}
	return suspectLife
}

// sweepGap is the longest gap between two sweeps; sweepCostFactor times
// what the last sweep took is the gap (sweepDelay).
const (
	sweepGap        = 20 * time.Millisecond
	sweepCostFactor = 10
)

// testSweepGap, when set, replaces sweepGap, and testSweepPutOff is
// called when a sweep is put off (tests; atomic: the reaper reads them).
var (
	testSweepGap    atomic.Int64
	testSweepPutOff atomic.Pointer[func(time.Duration)]
)

// putOff tells the test hook, if any, that a sweep was put off by d.
func putOff(d time.Duration) {
	if f := testSweepPutOff.Load(); f != nil {
		(*f)(d)
	}
}

// suspectSignal tells whether sig may end a process: every signal but 0
// and those that stop or continue it.
func suspectSignal(sig syscall.Signal) bool {
	switch sig {
	case 0, syscall.SIGCONT, syscall.SIGSTOP, syscall.SIGTSTP, syscall.SIGTTIN, syscall.SIGTTOU:
		return false
	}
	return true
}

// suspect records p, about to be signalled with sig, as a suspect (under
// p.mu, p not exited).
func (l *Launcher) suspect(p *Process, sig syscall.Signal) {
	if !canPeek || !suspectSignal(sig) {
		return
	}
	l.suspectMu.Lock()
	l.suspects[p.Pid] = suspectOf{p: p, at: time.Now()}
	l.suspectMu.Unlock()
}

// unsuspect forgets p, being reaped (or whose kill failed).
func (l *Launcher) unsuspect(p *Process) {
	l.suspectMu.Lock()
	if l.suspects[p.Pid].p == p {
		delete(l.suspects, p.Pid)
	}
	l.suspectMu.Unlock()
}

// reapSuspects reaps the suspects that exited, when there are at most
// maxSuspects, and forgets those still alive suspectLife after their
// signal. Reaper goroutine only.
func (l *Launcher) reapSuspects() {
	if !canPeek {
		return
	}
	now := time.Now()
	stale := now.Add(-lifeOfSuspects())
	l.suspectMu.Lock()
	if len(l.suspects) > maxSuspects && l.lastPrune.Before(stale) {
		l.lastPrune = now
		for pid, s := range l.suspects {
			if s.at.Before(stale) {
				delete(l.suspects, pid)
			}
		}
	}
	if n := len(l.suspects); n == 0 || n > maxSuspects {
		l.suspectMu.Unlock()
		return
	}
	ps := l.suspectBuf[:0]
	for _, s := range l.suspects {
		ps = append(ps, s)
	}
	l.suspectMu.Unlock()
	l.reaping.Lock()
	defer l.reaping.Unlock()
	for _, s := range ps {
		p := s.p
		if !peekExited(p.Pid) {
			if s.at.Before(stale) {
				l.forgetSuspect(s)
			}
			continue
		}
		l.mu.Lock()
		if l.frozen { // an upgrade in place: the next cfkd reaps (upgrade.go)
			l.mu.Unlock()
			break
		}
		e := l.procs[p.Pid]
		if e == nil || e.proc != p {
			// not the reaper's to take here (cannot happen: a reaped
			// Process is no suspect): the sweep's
			l.mu.Unlock()
			l.unsuspect(p)
			continue
		}
		delete(l.procs, p.Pid)
		l.mu.Unlock()
		l.reapRegistered(p.Pid, e)
	}
	clear(ps) // keep no Process alive in the buffer
	l.suspectBuf = ps[:0]
}

// forgetSuspect forgets s, unless signalled again since.
func (l *Launcher) forgetSuspect(s suspectOf) {
	l.suspectMu.Lock()
	if l.suspects[s.p.Pid] == s {
		delete(l.suspects, s.p.Pid)
	}
	l.suspectMu.Unlock()
}

// sweepDelay is how long the sweep after a SIGCHLD is put off: 0 (sweep
// now) unless the last sweep began less than its gap ago (sweepGapOf).
// Reaper goroutine only.
func (l *Launcher) sweepDelay() time.Duration {
	if !canPeek || l.lastSweep.IsZero() {
		return 0
	}
	gap := sweepGapOf(l.lastSweepCost)
	if g := testSweepGap.Load(); g > 0 {
		gap = time.Duration(g)
	}
	return max(0, gap-time.Since(l.lastSweep))
}

// reapRegistered reaps pid, an exited child that was e in procs (taken
// out under mu): marked exited first, so that Signal no longer uses its
// pid, then its group ended (EndGroup) while -pid cannot name another
// group, then reaped and told (canPeek only).
func (l *Launcher) reapRegistered(pid int, e *entry) {
	e.proc.markExited()
	l.unsuspect(e.proc)
	if e.proc.endGroup {
		// not reaped yet: -pid is still its group, or no group
		if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil && err != syscall.ESRCH {
			l.log.WithError(err).WithField("pid", pid).Warn("ending the process group of an exited child failed")
		}
	}
	ws, err := reapZombie(pid)
	if err != nil {
		l.log.WithError(err).WithField("pid", pid).Warn("reaping an exited child failed: its exit status is lost")
	}
	e.onExit(pid, ws)
}

// sweepGapOf is the gap after a sweep that took cost: sweepCostFactor
// times it, sweepGap at most.
func sweepGapOf(cost time.Duration) time.Duration {
	return min(sweepGap, sweepCostFactor*cost)
}
