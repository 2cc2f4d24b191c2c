package integration

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/cfk/cfk/proxywire"
)

// The Python proxy waited, after each fork, for the child to lead its
// own group before it wrote `started` and read on: a child slow to be
// scheduled (a loaded machine) held every other start, exit and stop
// behind it, and one stuck there hung the proxy. It now forks and reads
// on; `started` is written once the child is set up, in the order of the
// starts of each service (cfkd gives a pid to the oldest start of a
// service awaiting one). Here the second fork's child takes 3 s to set
// up: the exit of the first service and the start of the third are
// reported meanwhile.
func TestPythonProxyServesWhileAChildSetsUp(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "cfkslowchild.py"), `import os, time
forks = [0]
def _before():
    forks[0] += 1
def _child():
    if forks[0] == 2:
        time.sleep(3)
os.register_at_fork(before=_before, after_in_child=_child)
def idle():
    time.sleep(100)
`)
	p := startProxy(t, pythonProxy(t, dir, "cfkslowchild"))
	quiet := func(name string) proxywire.Command {
		return proxywire.Command{Name: name, Cmd: "cfkslowchild:idle", IgnoreStdout: true, IgnoreStderr: true}
	}
	p.start(quiet("x"))
	x := p.waitStatus("x", proxywire.StatusStarted)
	p.start(quiet("slow")) // its child sets up for 3 s
	p.start(quiet("y"))
	p.waitLog("out:-:starting y") // read while slow's child sets up
	if err := syscall.Kill(x.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.waitStatus("x", proxywire.StatusStopped)
	p.waitStatus("y", proxywire.StatusStarted)
	p.waitStatus("slow", proxywire.StatusStarted)
	p.mu.Lock()
	status := append([]string(nil), p.status...)
	p.mu.Unlock()
	order := []string{}
	for _, l := range status {
		if s, err := proxywire.ParseStatus([]byte(l)); err == nil {
			order = append(order, s.Status+" "+s.Name)
		}
	}
	// x's exit and y's start both come before slow's start, in either
	// order: y's child may set up before x's exit is reaped (a loaded
	// machine, CI's portable run: "started y, stopped x")
	got := strings.Join(order, ", ")
	if got != "started x, stopped x, started y, started slow" && got != "started x, started y, stopped x, started slow" {
		t.Fatalf("statuses %q, want started x, then stopped x and started y (either order), then started slow: the exit of x or the start of y waited for the set-up of slow's child", got)
	}
}

// A stop that comes while the child is still setting up waits for it to
// lead its group (a few system calls; 0.3 s here), then stops the group:
// `started`, then `stopped` by SIGTERM, as for any stop.
func TestPythonProxyStopsAChildStillSettingUp(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "cfkslowsetup.py"), `import os, time
os.register_at_fork(after_in_child=lambda: time.sleep(0.3))
def idle():
    time.sleep(100)
`)
	p := startProxy(t, pythonProxy(t, dir, "cfkslowsetup"))
	p.start(proxywire.Command{Name: "s", Cmd: "cfkslowsetup:idle", IgnoreStdout: true, IgnoreStderr: true})
	p.stop("s")
	started := p.waitStatus("s", proxywire.StatusStarted)
	st := p.waitStatus("s", proxywire.StatusStopped)
	if st.Pid != started.Pid || syscall.WaitStatus(st.ExitStatus).Signal() != syscall.SIGTERM {
		t.Fatalf("s stopped %+v, want pid %d ended by SIGTERM", st, started.Pid)
	}
}

// A child stuck in its set-up (a preloaded library's at-fork handler
// waiting on a lock another thread held at the fork) hung the whole
// proxy: it read nothing more, reaped nothing, stopped nothing. Now only
// that start waits; its stop, after 1 s, SIGKILLs it (none of the
// service's code ran), and its `started` and exit are written.
func TestPythonProxyStopsAChildStuckInItsSetUp(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "cfkstuck.py"), `import os, time
forks = [0]
def _before():
    forks[0] += 1
def _child():
    if forks[0] == 1:
        time.sleep(100)
os.register_at_fork(before=_before, after_in_child=_child)
def idle():
    time.sleep(100)
`)
	p := startProxy(t, pythonProxy(t, dir, "cfkstuck"))
	quiet := func(name string) proxywire.Command {
		return proxywire.Command{Name: name, Cmd: "cfkstuck:idle", IgnoreStdout: true, IgnoreStderr: true}
	}
	p.start(quiet("stuck"))
	p.start(quiet("other"))
	p.waitStatus("other", proxywire.StatusStarted)
	p.stop("stuck")
	p.waitLog("err:-:'stuck' (pid ")
	started := p.waitStatus("stuck", proxywire.StatusStarted)
	st := p.waitStatus("stuck", proxywire.StatusStopped)
	if st.Pid != started.Pid || syscall.WaitStatus(st.ExitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("stuck stopped %+v, want pid %d ended by SIGKILL", st, started.Pid)
	}
	p.stop("other")
	if st := p.waitStatus("other", proxywire.StatusStopped); syscall.WaitStatus(st.ExitStatus).Signal() != syscall.SIGTERM {
		t.Fatalf("other stopped %+v, want an end by SIGTERM", st)
	}
}
