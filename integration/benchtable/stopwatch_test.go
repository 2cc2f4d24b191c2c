package main

import (
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// The stop watcher tells an exited process (a zombie: its parent, this
// test, has not reaped it) from a running one, and a reaped one from a
// zombie, through its pidfds as through /proc.
func TestStopWatch(t *testing.T) {
	for _, procfs := range []bool{false, true} {
		var cmds []*exec.Cmd
		var pids []int
		for range 3 {
			cmd := exec.Command("sleep", "60")
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
			cmds = append(cmds, cmd)
			pids = append(pids, cmd.Process.Pid)
		}
		w := watchStop(pids, 0)
		t.Cleanup(w.close)
		if len(w.fds) != len(pids) {
			t.Fatalf("%d pidfds for %d pids", len(w.fds), len(pids))
		}
		if procfs {
			w.close()
			w.fds = nil
		}
		w.start(time.Now())
		for _, pid := range pids {
			if w.hasExited(pid) || w.isReaped(pid) {
				t.Fatalf("procfs %v: pid %d running, taken for exited (%v) or reaped (%v)", procfs, pid, w.hasExited(pid), w.isReaped(pid))
			}
		}
		if w.poll() {
			t.Fatalf("procfs %v: all reaped, with all running", procfs)
		}
		// the first one exits and stays a zombie: the watch stops there
		syscall.Kill(pids[0], syscall.SIGKILL)
		for end := time.Now().Add(10 * time.Second); !w.hasExited(pids[0]); time.Sleep(time.Millisecond) {
			if time.Now().After(end) {
				t.Fatalf("procfs %v: a killed process never taken for exited", procfs)
			}
		}
		if w.isReaped(pids[0]) {
			t.Fatalf("procfs %v: a zombie taken for reaped", procfs)
		}
		for _, cmd := range cmds {
			cmd.Process.Kill()
			cmd.Wait()
		}
		for _, pid := range pids {
			if !w.hasExited(pid) || !w.isReaped(pid) {
				t.Fatalf("procfs %v: pid %d reaped, taken for running (exited %v, reaped %v)", procfs, pid, w.hasExited(pid), w.isReaped(pid))
			}
		}
		if !w.poll() || w.exited == 0 || w.reaped == 0 || w.left() != 0 {
			t.Fatalf("procfs %v: all reaped: exited %v, reaped %v, left %d", procfs, w.exited, w.reaped, w.left())
		}
	}
}
