package osproc

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestFreezeAndAdopt plays both sides of an upgrade in place on the one
// Launcher of the tests: frozen, it neither reaps nor reads (the child's
// exit stays a zombie, its last lines stay in the pipe, the partial line
// is handed over); then its process and pipe are adopted as a new cfkd
// would (the old registrations dropped first), and on Thaw the exit and
// every line, the partial one completed, reach the new callbacks.
func TestFreezeAndAdopt(t *testing.T) {
	dir := t.TempDir()
	gate := filepath.Join(dir, "go")
	oldLines := make(chan string, 10)
	oldExit := make(chan syscall.WaitStatus, 1)
	p, err := launcher.Launch(Spec{
		Argv: sh(`printf 'one\ntw'; while [ ! -e ` + gate + ` ]; do sleep 0.01; done; printf 'o\nthree\n'; exit 3`),
		Env:  os.Environ(), Setsid: true, Tag: "service:t", Owner: 7,
		Stdout: func(_ int, l []byte) { oldLines <- string(l) },
	}, func(_ int, ws syscall.WaitStatus) { oldExit <- ws })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(-p.Pid, syscall.SIGKILL) })
	if got := lines(t, oldLines, 1); got[0] != "one" {
		t.Fatalf("first line %q", got[0])
	}
	eventually(t, "the partial line read", func() (bool, string) {
		launcher.out.mu.Lock()
		defer launcher.out.mu.Unlock()
		for _, op := range launcher.out.pipes {
			if op.meta.pid == p.Pid {
				return true, ""
			}
		}
		return false, "no pipe"
	})

	pipes := launcher.Freeze()
	// the launcher is the package's: a failure below must not leave it
	// frozen for the tests after this one
	thawed := false
	thaw := func() {
		if !thawed {
			thawed = true
			launcher.Thaw()
		}
	}
	t.Cleanup(thaw)
	var fp *FrozenPipe
	for i := range pipes {
		if pipes[i].Pid == p.Pid {
			fp = &pipes[i]
		}
	}
	if fp == nil || fp.Stream != "stdout" || fp.Tag != "service:t" || fp.Owner != 7 {
		thaw()
		t.Fatalf("frozen pipes %+v: none of pid %d, stdout, tag service:t, owner 7", pipes, p.Pid)
	}
	// the partial line may not have been read yet when frozen: what was
	// is carried
	if c := string(fp.Carry); c != "tw" && c != "" {
		thaw()
		t.Fatalf("carry %q, want \"tw\" (or nothing yet)", c)
	}
	os.WriteFile(gate, nil, 0o600)
	eventually(t, "the child a zombie, not reaped", func() (bool, string) {
		info, ok := ReadProc(p.Pid)
		return ok && info.State == 'Z', string(info.State)
	})

	// the new cfkd: the old registrations are gone with the old process
	launcher.mu.Lock()
	delete(launcher.procs, p.Pid)
	launcher.mu.Unlock()
	launcher.out.mu.Lock()
	launcher.out.remove(launcher.out.pipes[fp.Fd])
	launcher.out.mu.Unlock()

	newLines := make(chan string, 10)
	newExit := make(chan syscall.WaitStatus, 1)
	adopted := launcher.Adopt(p.Pid, true, func(pid int, ws syscall.WaitStatus) {
		if pid != p.Pid {
			t.Errorf("exit of %d, want %d", pid, p.Pid)
		}
		newExit <- ws
	})
	if err := launcher.AdoptOutput(*fp, func(pid int, l []byte) { newLines <- string(l) }); err != nil {
		t.Fatal(err)
	}
	thaw()
	if got := lines(t, newLines, 2); got[0] != "two" || got[1] != "three" {
		t.Errorf("lines after the upgrade %q, want two, three", got)
	}
	select {
	case ws := <-newExit:
		if ws.ExitStatus() != 3 {
			t.Errorf("exit status %d, want 3", ws.ExitStatus())
		}
	case <-time.After(deadline):
		t.Fatal("the adopted child's exit was not reported")
	}
	select {
	case ws := <-oldExit:
		t.Errorf("the old callback got the exit %v", ws)
	case l := <-oldLines:
		t.Errorf("the old callback got the line %q", l)
	default:
	}
	if err := launcher.Signal(adopted, syscall.SIGTERM); err != ErrDone {
		t.Errorf("Signal after the exit: %v, want ErrDone", err)
	}
}
