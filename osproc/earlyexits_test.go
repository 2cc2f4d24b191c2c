package osproc

import (
	"io"
	"syscall"
	"testing"

	"github.com/sirupsen/logrus"
)

// While a fork whose exec did not answer (a late fork, forkwait_linux.go)
// was under way, the reaper kept the exit of every pid it did not know,
// one entry per orphan's exit, without bound: such a fork may never end.
// While only late forks are under way, it keeps the newest maxLateExits
// once it holds twice as many; a fork that is not late holds them all;
// the late fork's own child, whose exit is among the newest, still gets
// it at its reply.
func TestExitsKeptForLateForksAreBounded(t *testing.T) {
	old := maxLateExits
	maxLateExits = 4
	t.Cleanup(func() { maxLateExits = old })
	quiet := logrus.New()
	quiet.SetOutput(io.Discard)
	l := &Launcher{log: quiet, procs: map[int]*entry{}, early: map[int]earlyExit{}}
	keep := func(pid int) map[int]earlyExit {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.keepEarly(pid, syscall.WaitStatus(0))
	}
	never := func(int, syscall.WaitStatus) { t.Error("onExit called by register") }

	l.inflight, l.forkSeq = 2, 2
	late := &lateness{}
	l.wentLate(late) // fork 1 goes late; fork 2 is under way
	for pid := 1000; pid < 1020; pid++ {
		if d := keep(pid); d != nil {
			t.Fatalf("exit of %d: dropped %v while a fork that is not late is under way", pid, d)
		}
	}
	l.register(2, 2000, nil, false, false, never) // only the late fork is left
	if d := keep(1020); len(d) != 17 || len(l.early) != 4 {
		t.Fatalf("dropped %d, kept %d; want the newest 4 kept", len(d), len(l.early))
	}
	for pid := 1017; pid <= 1020; pid++ {
		if _, ok := l.early[pid]; !ok {
			t.Fatalf("exit of %d dropped, one of the newest 4: kept %v", pid, l.early)
		}
	}
	for pid := 1021; pid < 1100; pid++ {
		keep(pid)
		if len(l.early) >= 2*maxLateExits {
			t.Fatalf("%d exits kept after the exit of %d, want fewer than %d", len(l.early), pid, 2*maxLateExits)
		}
	}
	// the late fork's reply comes, its child dead already
	keep(1100)
	proc, early, orphans := l.registerFork(1, late, 1100, nil, false, false, never)
	if early == nil || !proc.exited {
		t.Fatalf("the late fork's child lost its exit: early %v", early)
	}
	if len(l.early) != 0 || len(orphans) == 0 || l.inflight != 0 || l.late != 0 {
		t.Fatalf("no fork left: early %v, orphans %v, inflight %d, late %d", l.early, orphans, l.inflight, l.late)
	}

	// a reply handled before its launch marked the fork late: not late
	l.inflight, l.forkSeq = 1, 3
	late = &lateness{}
	l.registerFork(3, late, 3000, nil, false, false, never)
	l.wentLate(late)
	if l.late != 0 {
		t.Fatalf("%d late forks, want none: the fork ended", l.late)
	}
}
