package actors

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// A stop of a service that has no process asks the launcher to end what
// its earlier runs left (REFERENCE §7.5): the daemons of a crash loop's
// runs, one set a crash, piled up in backoff and ran on after the
// operator's stop, which `pids` and status did not show; a stop of a
// down one (it exited on its own: a forking service) is answered
// `already down` as before, and ends them too. A stop of a running one
// leaves that to the scan after its exit: it is not told here.
func TestStopWithoutProcessEndsLeftovers(t *testing.T) {
	t.Parallel()
	r := newRig(t, backoffUnit(time.Minute))
	r.setAutoTerm()
	r.ok("service crashy cmd=false", "service crashy startwait_secs=10", "command start service crashy")
	r.fake.exit(t, r.fake.waitLaunch(t, 1).Pid, exitCode(1))
	r.expectSeq("crashy", starting, backoff)
	r.okDone("command stop service crashy", 1)
	r.fake.waitFor(t, "EndLeftovers(crashy)", func() bool { return slices.Equal(r.fake.destroyed, []string{"crashy"}) })

	pid := r.startRunning("forking")
	r.fake.exit(t, pid, exitCode(0))
	r.expectSeq("forking", stopped)
	if rep := r.exec("command stop service forking"); rep.Err == nil || !strings.Contains(rep.Err.Error(), "Service 'forking' is already down") {
		t.Fatalf("stop of a down service: %v, want already down", rep.Err)
	}
	r.fake.waitFor(t, "EndLeftovers(forking)", func() bool { return slices.Equal(r.fake.destroyed, []string{"crashy", "forking"}) })

	r.startRunning("live")
	r.ok("command stop service live")
	r.expectSeq("live", stopping, stopped)
	r.fake.mu.Lock()
	told := slices.Clone(r.fake.destroyed)
	r.fake.mu.Unlock()
	if slices.Contains(told, "live") {
		t.Errorf("the stop of a running service told EndLeftovers: %q; its exit's scan does that", told)
	}
}
