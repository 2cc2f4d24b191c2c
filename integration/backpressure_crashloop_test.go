package integration

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/actors"
)

// A service crashing in a loop whose destination blocks (a FIFO whose
// reader never reads) left cfkd one held pipe fd per ended run (30 -> 46
// fds over 9 crashes): unlimited respawn ran it out of fds. One ended
// run's pipe is kept per stream; the older ones' lines are queued within
// the destination's bound and their pipes closed. Once the FIFO is read
// again, the lines of the ended runs come (those past the bound dropped
// and said), and the service goes on (REFERENCE §6.2).
func TestCrashLoopOnBlockedDestinationKeepsFdsBounded(t *testing.T) {
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		t.Skip("no /proc/self/fd")
	}
	// the delay after the second crash in a row 50 ms, not 1 s, doubled
	// at each further one: the five crashes are respawned in 0.75 s, not
	// 15 s
	_, rd, _, tree := blockedDestination(t,
		"level = info\ncfkd = file:cfkd.log\nservice.crashy = file:stuck.fifo\n",
		func(o *actors.Options) { o.RestartDelay = 50 * time.Millisecond })
	exec := func(line string) []string {
		t.Helper()
		r := tree.Exec(line, deadline)
		if r.Err != nil {
			t.Fatalf("%q: %v", line, r.Err)
		}
		return r.Lines
	}
	var pids []int
	defer func() {
		tree.Exec("command shutdown", deadline)
		for _, pid := range pids {
			if alive(pid) {
				t.Errorf("pid %d alive after shutdown", pid)
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}()
	fds := func() int {
		ents, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Fatal(err)
		}
		return len(ents)
	}
	// the running run's pid, once it is another than last and held in
	// write(2) (its pipe full: the destination blocks)
	heldPid := func(last int) int {
		t.Helper()
		end := time.Now().Add(deadline)
		for time.Now().Before(end) {
			for _, l := range tree.Exec("command pids service crashy", deadline).Lines {
				if p, ok := strings.CutPrefix(l, "crashy: "); ok {
					if pid, err := strconv.Atoi(p); err == nil && pid != last && blockedInWrite(pid) {
						pids = append(pids, pid)
						return pid
					}
				}
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatalf("no new run of crashy held in write(2) after %v: %q", deadline, tree.Exec("command status", deadline).Lines)
		return 0
	}
	exec("service crashy cmd=yes a line of a service that crashes in a loop")
	exec("service crashy startwait_secs=0")
	exec("command start service crashy")
	pid := heldPid(0)
	before := fds()
	const crashes = 5 // respawned at once (more go into backoff)
	var killed []int
	for range crashes {
		syscall.Kill(pid, syscall.SIGKILL)
		killed = append(killed, pid)
		pid = heldPid(pid)
		t.Logf("run %d held, %d fds", pid, fds())
	}
	// two more at most: the last ended run's stdout pipe, kept, and
	// room for an fd of the tree's own that comes and goes
	end := time.Now().Add(deadline)
	for n := fds(); n > before+2; n = fds() {
		if time.Now().After(end) {
			t.Fatalf("%d fds after %d crashes on a blocked destination, %d before", n, crashes, before)
		}
		time.Sleep(10 * time.Millisecond)
	}

	// the FIFO is read again: the lines of the ended runs come, in the
	// bound of the destination's queue (those past it dropped, and said)
	seen := make(map[string]bool)
	found := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(rd)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) > 1 && !seen[f[1]] {
				seen[f[1]] = true
				if seen[strconv.Itoa(killed[0])] && seen[strconv.Itoa(killed[1])] && seen[strconv.Itoa(pid)] {
					close(found)
					return
				}
			}
		}
	}()
	select {
	case <-found:
	case <-time.After(deadline):
		t.Fatalf("the lines of the first ended runs and of the running one not read from the FIFO once unblocked")
	}
}
