package integration

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/proxywire"
)

// REFERENCE §4.5: a Python proxy that died (kill -9, a crash) left the
// services it ran in its own interpreter and had not reported yet (a
// restart of 220 workers, the proxy killed as it forked them: 22 left)
// running, unsupervised: cfkd kills only the processes a proxy reported,
// and its scan of what a dead proxy forked cannot tell them apart (their
// /proc environ is the proxy's). Such a child now has the kernel SIGKILL
// it when the proxy dies (PR_SET_PDEATHSIG), and one whose proxy died
// before it asked for that ends itself.
func TestPythonProxyInProcessChildrenDieWithTheProxy(t *testing.T) {
	dir := t.TempDir()
	// the second fork's child writes its pid, then takes 2 s to set up
	write(t, filepath.Join(dir, "cfkorphan.py"), `import os, time
forks = [0]
def _before():
    forks[0] += 1
def _child():
    if forks[0] == 2:
        with open(os.path.join(`+strconv.Quote(dir)+`, "slow.pid.tmp"), "w") as f:
            f.write(str(os.getpid()))
        os.rename(os.path.join(`+strconv.Quote(dir)+`, "slow.pid.tmp"), os.path.join(`+strconv.Quote(dir)+`, "slow.pid"))
        time.sleep(2)
os.register_at_fork(before=_before, after_in_child=_child)
def idle():
    time.sleep(100)
`)
	p := startProxy(t, pythonProxy(t, dir, "cfkorphan"))
	quiet := func(name string) proxywire.Command {
		return proxywire.Command{Name: name, Cmd: "cfkorphan:idle", IgnoreStdout: true, IgnoreStderr: true}
	}
	p.start(quiet("up"))
	up := p.waitStatus("up", proxywire.StatusStarted).Pid
	p.start(quiet("slow"))
	slow := 0
	waitUntil(t, "the pid of slow's child", func() bool {
		b, err := os.ReadFile(filepath.Join(dir, "slow.pid"))
		if err == nil {
			slow, err = strconv.Atoi(strings.TrimSpace(string(b)))
		}
		return err == nil
	})
	t.Cleanup(func() {
		for _, pid := range []int{up, slow} {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	if err := syscall.Kill(p.proc.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.waitExit()
	for name, pid := range map[string]int{"up (reported)": up, "slow (setting up)": slow} {
		waitUntil(t, name+" pid "+strconv.Itoa(pid)+" gone with its proxy", func() bool { return !alive(pid) })
	}
}

// waitUntil checks cond every 20 ms until it holds (what /proc shows,
// no event announces), failing the test after deadline.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(deadline)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("timed out after %v waiting for %s", deadline, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
