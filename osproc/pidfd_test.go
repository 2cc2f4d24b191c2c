package osproc

import (
	"errors"
	"fmt"
	"slices"
	"syscall"
	"testing"
	"time"
)

// A process that is not cfkd's child (the sleep a shell forked, as a
// proxy forks a service) is signalled through a handle: only a handle
// taken with its real parent is given, it reaches that process, and once
// the parent has reaped it the handle signals nobody (ErrDone), whatever
// process got the pid since. A Process without a handle is never
// signalled.
func TestHandleSignalsOnlyThatProcess(t *testing.T) {
	if !Pidfds {
		t.Skip("no pidfds in this build: Handle fails (TestNoHandleWithoutPidfds, REFERENCE §11)")
	}
	c := start(t, Spec{Argv: sh("sleep 100 & echo started; wait; sleep 100"), Setsid: true})
	t.Cleanup(func() {
		for _, p := range inGroup(c.Pid) {
			syscall.Kill(p.pid, syscall.SIGKILL)
		}
	})
	var sleep int
	eventually(t, "the shell's sleep runs", func() (bool, string) {
		for _, p := range children(c.Pid) {
			if p.comm == "sleep" {
				sleep = p.pid
			}
		}
		return sleep != 0, fmt.Sprint(children(c.Pid))
	})
	if _, err := launcher.Handle(sleep, c.Pid+1); err == nil {
		t.Fatal("Handle with the wrong parent succeeded")
	}
	if err := launcher.Signal(&Process{Pid: sleep}, syscall.SIGKILL); err == nil {
		t.Fatal("a Process with no handle was signalled")
	}
	h, err := launcher.Handle(sleep, c.Pid)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if err := launcher.Signal(h, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// the shell reaps it (wait returns), then runs its second sleep
	eventually(t, "the first sleep is reaped", func() (bool, string) {
		_, err := readStat(sleep)
		return err != nil, fmt.Sprint(children(c.Pid))
	})
	if err := launcher.Signal(h, syscall.SIGKILL); !errors.Is(err, ErrDone) {
		t.Fatalf("signal through the handle of a reaped process: %v, want ErrDone", err)
	}
	h.Close()
	h.Close() // twice is fine
}

// TestTerminateSigkill: a process that ignores SIGTERM gets SIGKILL after
// the grace.
func TestTerminateSigkill(t *testing.T) {
	if !Pidfds {
		t.Skip("no pidfds in this build: OpenTarget fails (TestKillOrphansSigkill terminates through the reaper, REFERENCE §11)")
	}
	exited, ready := make(chan struct{}), make(chan struct{}, 1)
	p, err := launcher.Launch(Spec{Argv: []string{"/bin/sh", "-c", `trap "" TERM; echo ready; sleep 1000`}, Setsid: true,
		Stdout: func(int, []byte) { ready <- struct{}{} }}, func(int, syscall.WaitStatus) { close(exited) })
	if err != nil {
		t.Fatal(err)
	}
	defer launcher.Signal(p, syscall.SIGKILL)
	tg, err := OpenTarget(p.Pid, true)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-ready: // the trap is set
	case <-time.After(10 * time.Second):
		t.Fatal("the shell never said ready")
	}
	start := time.Now()
	killed, survived := Terminate([]*Target{tg}, 300*time.Millisecond)
	if len(survived) != 0 {
		t.Fatalf("survived %v", survived)
	}
	if !slices.Equal(killed, []int{p.Pid}) || time.Since(start) < 300*time.Millisecond {
		t.Fatalf("killed %v after %v", killed, time.Since(start))
	}
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		t.Fatal("not reaped")
	}
}

// A process got from Handle that leads its own process group (a proxy
// starts a service with setsid) is signalled with its group, as a direct
// child is: SIGKILL to the pid alone left the service's other processes
// running, unsupervised (a proxy that died, a stop past stopwait). One
// that does not lead a group (no_new_session) gets it alone.
func TestHandleSignalsTheGroupItLeads(t *testing.T) {
	if !Pidfds {
		t.Skip("no pidfds in this build: Handle fails (TestNoHandleWithoutPidfds, REFERENCE §11)")
	}
	for _, leads := range []bool{true, false} {
		t.Run(fmt.Sprint("leads=", leads), func(t *testing.T) {
			inner := "sh -c 'sleep 1013 & wait'"
			if leads {
				inner = "setsid " + inner
			}
			// the outer shell stands for a proxy: the inner one is its
			// child, with a sleep in the inner one's group
			c := start(t, Spec{Argv: sh(inner + " & wait"), Setsid: true})
			var sh, sleep int
			var held []*Target // pidfds: the cleanup kills these processes or nobody
			t.Cleanup(func() {
				for _, tg := range held {
					tg.signal(syscall.SIGKILL)
					tg.Close()
				}
			})
			eventually(t, "the inner shell and its sleep run", func() (bool, string) {
				for _, p := range children(c.Pid) {
					if p.comm == "sh" {
						sh = p.pid
					}
				}
				for _, p := range children(sh) {
					if p.comm == "sleep" {
						sleep = p.pid
					}
				}
				return sh != 0 && sleep != 0, fmt.Sprint(children(c.Pid))
			})
			for _, pid := range []int{sh, sleep} {
				if tg, err := OpenTarget(pid, false); err == nil {
					held = append(held, tg)
				}
			}
			h, err := launcher.Handle(sh, c.Pid)
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			if err := launcher.Signal(h, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			eventually(t, "the inner shell is killed", func() (bool, string) {
				st, err := readStat(sh)
				return err != nil || st.state == 'Z', fmt.Sprint(st)
			})
			if leads {
				eventually(t, "the sleep of its group is killed too", func() (bool, string) {
					st, err := readStat(sleep)
					return err != nil || st.state == 'Z', fmt.Sprint(st)
				})
				return
			}
			if st, err := readStat(sleep); err != nil || st.state == 'Z' {
				t.Errorf("the sleep of a shell that leads no group of its own was killed: %v %v", st, err)
			}
		})
	}
}

// A process that had exited before its handle was taken (a proxy's
// child that the proxy stopped and reaped as soon as it had reported it)
// is ErrEnded, not "not a child": cfkd warned that it would not signal a
// pid that was not the proxy's child, when that process had simply
// ended. Reaped (the pid names no process), or exited and no longer the
// parent's child (pidfd_open came before the parent's reap, the parent
// check after it: a zombie of another parent stands for it), it is
// ErrEnded; a zombie child of the parent is still handled (its group may
// live on), and a live process of another parent is not ErrEnded.
func TestHandleOfAnEndedProcess(t *testing.T) {
	if !Pidfds {
		t.Skip("no pidfds in this build: Handle fails (TestNoHandleWithoutPidfds, REFERENCE §11)")
	}
	// the shell stands for a proxy: it reaps its first child, then its
	// second one exits and stays a zombie (the exec'd sleep never reaps
	// it); that one lives a second, so that it exits after the exec (a
	// `true &` could exit first, and the shell reap it before its exec)
	c := capture(t, Spec{Argv: sh("sleep 0.01 & r=$!; wait; sleep 1 & echo $! $r; exec sleep 100"), Setsid: true})
	t.Cleanup(func() {
		for _, p := range inGroup(c.Pid) {
			syscall.Kill(p.pid, syscall.SIGKILL)
		}
	})
	var zombie, reaped int
	eventually(t, "the shell says its children", func() (bool, string) {
		select {
		case line := <-c.out:
			fmt.Sscan(line, &zombie, &reaped)
		default:
		}
		return zombie != 0, ""
	})
	eventually(t, "the first child is a zombie of the sleep", func() (bool, string) {
		st, err := readStat(zombie)
		return err == nil && st.state == 'Z' && st.ppid == c.Pid, fmt.Sprint(st, err)
	})
	if _, err := readStat(reaped); err == nil {
		t.Fatalf("pid %d of the reaped child names a process (reused already?)", reaped)
	}
	if _, err := launcher.Handle(reaped, c.Pid); !errors.Is(err, ErrEnded) {
		t.Fatalf("Handle of a reaped child: %v, want ErrEnded", err)
	}
	if _, err := launcher.Handle(zombie, c.Pid+1); !errors.Is(err, ErrEnded) {
		t.Fatalf("Handle of an exited process of another parent: %v, want ErrEnded", err)
	}
	h, err := launcher.Handle(zombie, c.Pid)
	if err != nil {
		t.Fatalf("Handle of a zombie child: %v", err)
	}
	h.Close()
	if _, err := launcher.Handle(c.Pid, c.Pid+1); err == nil || errors.Is(err, ErrEnded) {
		t.Fatalf("Handle of a live process of another parent: %v, want not a child", err)
	}
}
