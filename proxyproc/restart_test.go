package proxyproc

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/proxywire"
)

// waitStarted waits for the nth (from 1) `started` of name.
func (r *rig) waitStarted(name string, n int) proxywire.Status {
	r.t.Helper()
	var got proxywire.Status
	r.wait(strconv.Itoa(n)+" started "+name, func(st, _ []string) bool {
		seen := 0
		for _, l := range st {
			s, err := proxywire.ParseStatus([]byte(l))
			if err == nil && s.Name == name && s.Status == proxywire.StatusStarted {
				if seen++; seen == n {
					got = s
					return true
				}
			}
		}
		return false
	})
	return got
}

// logsWith are the log lines received so far that contain part.
func (r *rig) logsWith(part string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, l := range r.logs {
		if strings.Contains(l, part) {
			out = append(out, l)
		}
	}
	return out
}

// REFERENCE §4.5, §4.6: cfkd restarting a service whose `started` came
// after its stop kills that process and writes the new start line at
// once, before the proxy has reaped the child it was told to stop. The
// proxy logged `err:-:'s' is already running (pid N): starting another
// one`, an error for what cfkd does by design. A start that follows a
// stop of that name is now an info line; the error stays for a start
// with no stop before it, a misuse of the protocol.
func TestStartAgainWhileTheStoppedChildEnds(t *testing.T) {
	r := newRig(t, nil, 200*time.Millisecond) // SIGKILL soon at the end
	// it ignores the stop's SIGTERM: still there at the next start
	slow := proxywire.Command{Name: "s", Cmd: `trap "" TERM; echo ready; exec sleep 30`}
	r.start(slow)
	first := r.waitStarted("s", 1)
	r.waitLog("out:s:ready")
	r.send(`{"command":"stop","name":"s"}`)
	r.waitLog("out:-:stopping s")
	r.start(slow)
	r.waitLog("out:-:'s': starting again while its former process (pid " + strconv.Itoa(first.Pid) + ") ends")
	second := r.waitStarted("s", 2)
	if second.Pid == first.Pid {
		t.Fatalf("the second start reported the first's pid %d", first.Pid)
	}
	if bad := r.logsWith("already running"); len(bad) != 0 {
		t.Fatalf("a start after a stop was logged as a misuse: %q", bad)
	}

	// no stop before it: a second process of a name that runs
	r.start(slow)
	r.waitLog("err:-:'s' is already running (pid " + strconv.Itoa(second.Pid) + "): starting another one")
	r.waitStarted("s", 3)
}
