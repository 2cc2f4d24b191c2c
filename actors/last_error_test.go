package actors

import (
	"errors"
	"strings"
	"testing"

	"github.com/cfk/cfk/messages"
)

// A service whose starts fail says why in backoff and fatal, where the
// status line's fail_reason (only for fail) says nothing: the transition
// events carry the reason, inspect has last_error, until it runs.
func TestBackoffAndFatalSayWhy(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.ok("service s cmd=sleep 100", "service s respawn_max_retries=2", "service s startwait_secs=0.02")
	r.fake.failNextLaunch(errors.New("exec: gone"))
	r.fake.failNextLaunch(errors.New("exec: gone"))
	r.async("command start service s")
	ev := r.expectSeq("s", backoff, fatal)
	const why = "Could not start: exec: gone"
	for _, e := range ev {
		if e.Reason != why {
			t.Errorf("%v: reason %q, want %q", e.To, e.Reason, why)
		}
	}
	info, err := messages.ParseServiceInfo(r.ok("command inspect service s")[0])
	if err != nil || info.LastError != why || info.FailReason != "" {
		t.Fatalf("inspect: %+v, %v; want last_error %q and no fail_reason", info, err, why)
	}
	if st := r.ok("command status service s")[0]; strings.Contains(st, "exec: gone") {
		t.Fatalf("the compat status line changed: %q", st)
	}
	// once it runs, it is forgotten
	r.async("command start service s")
	r.expectSeq("s", starting, running)
	info, _ = messages.ParseServiceInfo(r.ok("command inspect service s")[0])
	if info.LastError != "" {
		t.Fatalf("running, last_error %q", info.LastError)
	}
}
