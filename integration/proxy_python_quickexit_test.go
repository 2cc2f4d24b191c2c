package integration

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/cfk/cfk/proxywire"
)

// REFERENCE §4.6: a stop line for a service whose child had exited
// before the proxy wrote its `started` (it ran a moment, while the loop
// forked others: `cfkctl start q @workers; cfkctl stop q` of a q that
// exits at once) killed the Python proxy with a KeyError: the stop wrote
// that child's `started` and its exit, then signalled the pid it had just
// forgotten (and, that fixed, the child's set-up event of the same pass
// of the loop looked the pid up again). cfkd then failed every service
// of the proxy, `proxy stopped`, and the children it had forked and not
// reported yet ran on. The stop now writes `started` and `stopped` and
// signals nothing, and the proxy serves on.
//
// The preloaded module holds the proxy 0.5 s after the fork of q (a
// library's at-fork work), so that q exits and is reaped before the proxy
// sees its child set up; the start line fills the command pipe (64 KiB,
// blank lines after it) so that the stop line is read in a later pass.
func TestPythonProxyStopOfAChildThatExitedBeforeItsStarted(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "cfkquick.py"), `import os, time
forks = [0]
def _after_in_parent():
    forks[0] += 1
    if forks[0] == 1:
        time.sleep(0.5)
os.register_at_fork(after_in_parent=_after_in_parent)
def quick():
    return 0
`)
	p := startProxy(t, pythonProxy(t, dir, "cfkquick"))
	line, err := proxywire.EncodeCommand(proxywire.Command{Command: proxywire.CommandStart, Name: "q", Cmd: "cfkquick:quick"})
	if err != nil {
		t.Fatal(err)
	}
	const pipeSize = 64 << 10
	p.send(string(line) + strings.Repeat("\n", pipeSize-len(line)-1))
	p.stop("q")
	p.waitStatus("q", proxywire.StatusStarted)
	if st := p.waitStatus("q", proxywire.StatusStopped); st.ExitStatus != 0 {
		t.Fatalf("q's stopped: %+v, want its exit 0", st)
	}
	// the proxy still serves
	p.start(proxywire.Command{Name: "after", Cmd: "cfkquick:quick"})
	p.waitStatus("after", proxywire.StatusStopped)
	select {
	case ws := <-p.exited:
		p.exited <- ws // for cleanup
		t.Fatalf("the proxy exited (wait status %#x)", ws)
	default:
	}
}
