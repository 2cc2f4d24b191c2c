package osproc

import (
	"fmt"
	"syscall"
	"testing"
	"time"
)

// A child launched with EndGroup that puts a process in the background
// and exits (as a check binary that forks and exits might) leaves
// nothing behind: what is left of its group is killed before the child
// is reaped, and reaped in its turn. Without EndGroup the background
// process runs on (the control).
func TestEndGroupKillsWhatTheChildLeft(t *testing.T) {
	for _, end := range []bool{true, false} {
		t.Run(fmt.Sprintf("EndGroup=%v", end), func(t *testing.T) {
			c := start(t, Spec{Argv: sh("sleep 100 & exit 0"), Setsid: true, EndGroup: end})
			pgid := c.Pid
			t.Cleanup(func() { // whatever happens, no sleep of that group survives
				for _, p := range inGroup(pgid) {
					syscall.Kill(p.pid, syscall.SIGKILL)
				}
			})
			if ws := c.wait(t); ws.ExitStatus() != 0 {
				t.Fatalf("status %#x, want exit 0", ws)
			}
			if !end {
				eventually(t, "without EndGroup, the sleep runs on", func() (bool, string) {
					g := inGroup(pgid) // the fork of sh may not have exec'd sleep yet
					return len(g) == 1 && g[0].comm == "sleep", fmt.Sprint(g)
				})
				return
			}
			eventually(t, "the group is gone", func() (bool, string) {
				g := inGroup(pgid)
				return len(g) == 0, fmt.Sprint(g)
			})
		})
	}
}

// A child with EndGroup whose exit the reaper took before its fork was
// registered (it exited at once: `sleep 100 & exit 0`) left its group
// running: the group was ended only at the usual exit. register ends it
// then.
func TestEndGroupOfAChildReapedBeforeItsRegistration(t *testing.T) {
	old := beforeRegister
	t.Cleanup(func() { beforeRegister = old })
	beforeRegister = func(pid int) { // until the reaper took its exit, as early
		for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(time.Millisecond) {
			launcher.mu.Lock()
			_, early := launcher.early[pid]
			launcher.mu.Unlock()
			if early {
				return
			}
		}
		t.Errorf("the exit of %d was not taken before its registration", pid)
	}
	c := start(t, Spec{Argv: sh("sleep 100 & exit 0"), Setsid: true, EndGroup: true})
	beforeRegister = old
	pgid := c.Pid
	t.Cleanup(func() {
		for _, p := range inGroup(pgid) {
			syscall.Kill(p.pid, syscall.SIGKILL)
		}
	})
	if ws := c.wait(t); ws.ExitStatus() != 0 {
		t.Fatalf("status %#x, want exit 0", ws)
	}
	eventually(t, "the group is gone", func() (bool, string) {
		g := inGroup(pgid)
		return len(g) == 0, fmt.Sprint(g)
	})
}
