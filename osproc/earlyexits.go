package osproc

import (
	"slices"
	"syscall"
)

// The exits the reaper keeps for forks under way (early): while a fork is
// under way, the exit of a pid the launcher does not know may be its
// child's, dead before register, and is kept until the last fork under
// way ends; those left then were adopted orphans'. A fork whose reply is
// late (its child hangs in its chdir or execve on a hung mount,
// forkwait_linux.go) stays under way until that reply, which may never
// come: every orphan's exit reaped meanwhile was kept, one entry each,
// without bound (up to one per pid of the system). While every fork
// under way is late, the reaper keeps the newest maxLateExits of them
// once it holds twice as many, and takes the others for adopted orphans'
// (logged). A late fork's child can only exit once its exec is done,
// right before its reply comes: its exit is among the newest.

// maxLateExits is how many exits of unknown pids the reaper keeps when it
// trims them, while only late forks are under way (it holds up to twice
// as many before it trims).
var maxLateExits = 512

// lateness is what fork and lateForked share of one fork, under
// Launcher.mu: whether it went late (its launch gave up waiting for its
// reply) and whether it ended (registered). A late reply may be handled
// before its launch has marked the fork late: it is marked only if it
// has not ended.
type lateness struct{ late, ended bool }

// wentLate marks the fork of lt late, unless its reply came already.
func (l *Launcher) wentLate(lt *lateness) {
	l.mu.Lock()
	if !lt.ended && !lt.late {
		lt.late = true
		l.late++
	}
	dropped := l.boundEarly() // the last fork under way may have gone late
	l.mu.Unlock()
	l.logDropped(dropped)
}

// endedFork records, under mu, that the fork of lt (nil: one that cannot
// go late) ended.
func (l *Launcher) endedFork(lt *lateness) {
	if lt == nil {
		return
	}
	lt.ended = true
	if lt.late {
		lt.late = false
		l.late--
	}
}

// keepEarly keeps, under mu, the exit of pid, which no fork registered:
// maybe the child of a fork under way. It returns the exits it dropped
// (boundEarly).
func (l *Launcher) keepEarly(pid int, ws syscall.WaitStatus) map[int]earlyExit {
	l.earlyN++
	l.early[pid] = earlyExit{ws: ws, seq: l.forkSeq, n: l.earlyN}
	return l.boundEarly()
}

// boundEarly, under mu: while every fork under way is late, and the
// reaper holds 2×maxLateExits exits for them, it keeps the newest
// maxLateExits and returns the others, taken for adopted orphans'. A fork
// that is not late (a fork takes a few ms, forkTimeout at most before it
// goes late) holds them all until it ends.
func (l *Launcher) boundEarly() map[int]earlyExit {
	if l.late == 0 || l.inflight != l.late || len(l.early) < 2*maxLateExits {
		return nil
	}
	ns := make([]uint64, 0, len(l.early))
	for _, e := range l.early {
		ns = append(ns, e.n)
	}
	slices.Sort(ns)
	oldest := ns[len(ns)-maxLateExits] // the oldest kept
	dropped := make(map[int]earlyExit, len(ns)-maxLateExits)
	for pid, e := range l.early {
		if e.n < oldest {
			dropped[pid] = e
			delete(l.early, pid)
		}
	}
	return dropped
}

// logDropped logs the exits boundEarly dropped, as adopted orphans'.
func (l *Launcher) logDropped(dropped map[int]earlyExit) {
	if len(dropped) == 0 {
		return
	}
	l.log.WithField("dropped", len(dropped)).Infof("only forks whose exec did not answer are under way: the %d oldest exits of pids cfkd did not launch, kept in case one was such a fork's child, are taken for adopted orphans'", len(dropped))
	l.logOrphans(dropped)
}
