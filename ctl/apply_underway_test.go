package ctl

import (
	"strings"
	"testing"
	"time"
)

// underWay is cfkd's refusal of an apply while another is under way.
const underWay = "an apply is under way (from unix:uid=0,pid=7 since 2009-11-11 16:16:11: rolling restart, 0 of 1 done, " +
	"waiting for 'slow' to be running): try again once it is done (a stop of 'slow' ends its wait)"

// TestApplyWhileAnotherIsUnderWay: cfkctl apply says on stderr why it
// waits, and sends its apply again until cfkd takes it (REFERENCE §8.2);
// within --timeout only, then the refusal is its error. A dry run's note
// is said on stderr, not taken for a failure.
func TestApplyWhileAnotherIsUnderWay(t *testing.T) {
	t.Parallel()
	file := writeFile(t, "service s cmd=sleep 1\n")
	req := applyReq("", "service s cmd=sleep 1\n")

	f := newFakeServer(t, map[string]string{req: fail(underWay)})
	f.then[req] = ok("~ s: cmd")
	res := runCtl(t, f, runCfg{}, "apply", file)
	if res.code != 0 || res.stdout != "~ s: cmd\n" || res.stderr != "cfkctl: "+underWay+"; waiting (see --timeout)\n" {
		t.Fatalf("apply taken once the other was done: %+v", res)
	}
	if got := f.waitRequests(t, 2); got[0] != req || got[1] != req {
		t.Fatalf("requests %q", got)
	}

	// 1 s: the first try's answer has that long (its deadline), and the
	// second is the last, at the --timeout, one retry delay after it
	f = newFakeServer(t, map[string]string{req: fail(underWay)})
	res = runCtl(t, f, runCfg{}, "--timeout", "1s", "apply", file)
	if res.code != ExitError || res.stderr != "cfkctl: "+underWay+"; waiting (see --timeout)\n"+underWay+"\n" {
		t.Fatalf("apply refused within --timeout: %+v", res)
	}
	if got := f.waitRequests(t, 2); got[0] != req || got[1] != req {
		t.Fatalf("requests %q: the last try at the --timeout", got)
	}

	dry := applyReq("dry-run", "service s cmd=sleep 1\n")
	f = newFakeServer(t, map[string]string{dry: ok("~ s: cmd", "# "+strings.TrimSuffix(underWay, ": try again once it is done (a stop of 'slow' ends its wait)")+": planned against the declarations it made")})
	res = runCtl(t, f, runCfg{}, "apply", "--dry-run", file)
	if res.code != 0 || res.stdout != "~ s: cmd\n" || !strings.HasPrefix(res.stderr, "note: an apply is under way (from unix:uid=0,pid=7") {
		t.Fatalf("dry run with a note: %+v", res)
	}
}

// TestApplyRetriedAfterAnIdleClose: cfkd closed the connection of an
// apply waiting for another, idle between two tries longer than its
// --idle-timeout (REFERENCE §5.4), and the next try failed, `cfkd closed
// the connection`; it is sent on a new connection, and taken.
func TestApplyRetriedAfterAnIdleClose(t *testing.T) {
	t.Parallel()
	file := writeFile(t, "service s cmd=sleep 1\n")
	req := applyReq("", "service s cmd=sleep 1\n")
	f := newFakeServer(t, map[string]string{req: fail(underWay)})
	f.then[req] = ok("~ s: cmd")
	f.mu.Lock()
	f.idle = 200 * time.Millisecond
	f.mu.Unlock()
	res := runCtl(t, f, runCfg{}, "apply", file)
	if res.code != 0 || res.stdout != "~ s: cmd\n" || res.stderr != "cfkctl: "+underWay+"; waiting (see --timeout)\n" {
		t.Fatalf("apply after an idle close: %+v", res)
	}
	if got := f.waitRequests(t, 3); len(got) != 3 || got[0] != req || got[1] != req || got[2] != "exit" {
		t.Fatalf("requests %q, want the apply twice, then exit", got)
	}
	if n := f.connections(); n != 2 {
		t.Fatalf("%d connections, want 2", n)
	}
}
