package integration

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cfk/cfk/proxywire"
)

// startedPid waits for the nth (from 1) `started` of name and returns
// its pid.
func (p *proxyRun) startedPid(name string, n int) int {
	p.t.Helper()
	pid := 0
	p.wait(strconv.Itoa(n)+" started "+name, deadline, func(st, _ []string) bool {
		seen := 0
		for _, l := range st {
			s, err := proxywire.ParseStatus([]byte(l))
			if err == nil && s.Name == name && s.Status == proxywire.StatusStarted {
				if seen++; seen == n {
					pid = s.Pid
					return true
				}
			}
		}
		return false
	})
	return pid
}

// REFERENCE §4.5, §4.6, as TestStartAgainWhileTheStoppedChildEnds checks
// of cfk-proxy: cfkd restarting a service whose `started` came after its
// stop writes the new start line before the proxy has reaped the child
// it was told to stop. The Python proxy logged that `err:-:'s' is already
// running (pid N): starting another one`, an error for what cfkd does by
// design; after a stop of that name it is an info line, and the error
// stays for a start with no stop before it.
func TestPythonProxyStartAgainWhileTheStoppedChildEnds(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "cfkstubborn.py"), `import signal, sys, time
def stubborn():
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    print("ready", flush=True)
    time.sleep(30)
`)
	p := startProxy(t, pythonProxy(t, dir, "cfkstubborn"))
	// it ignores the stop's SIGTERM: still there at the next start
	slow := proxywire.Command{Name: "s", Cmd: "cfkstubborn:stubborn"}
	p.start(slow)
	first := p.startedPid("s", 1)
	p.waitLog("out:s:ready")
	p.stop("s")
	p.waitLog("out:-:stopping s")
	p.start(slow)
	p.waitLog("out:-:'s': starting again while its former process (pid " + strconv.Itoa(first) + ") ends")
	second := p.startedPid("s", 2)
	if second == first {
		t.Fatalf("the second start reported the first's pid %d", first)
	}
	p.mu.Lock()
	for _, l := range p.logs {
		if strings.Contains(l, "already running") {
			t.Errorf("a start after a stop was logged as a misuse: %q", l)
		}
	}
	p.mu.Unlock()

	// no stop before it: a second process of a name that runs
	p.start(slow)
	p.waitLog("err:-:'s' is already running (pid " + strconv.Itoa(second) + "): starting another one")
	p.startedPid("s", 3)
}
