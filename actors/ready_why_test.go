package actors

import (
	"io"
	"testing"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"
)

// A run not ready in time ends `Not ready after 400ms` (REFERENCE §2.9),
// which says when, not why: a probe that was refused, answered 404 or
// timed out looked the same. cfkd logs the last failed try of its probe.
func TestNotReadySaysTheLastCheck(t *testing.T) {
	t.Parallel()
	log := logrus.New()
	log.SetOutput(io.Discard)
	hook := logtest.NewLocal(log)
	r := newRig(t, func(o *Options) { o.Log = log })
	r.setAutoTerm()
	r.ok("service s cmd=sleep 100", "service s ready=tcp:127.0.0.1:1", "service s respawn_on_fail=0",
		"service s startwait_secs=0.1", "service s ready_timeout_secs=0.4")
	r.okDone("command start service s", 1)
	r.expectSeq("s", starting, stopping, fail)
	want := "s: its last readiness check failed: dial tcp 127.0.0.1:1: connect: connection refused"
	waitFor(t, "the last check logged", func() bool {
		for _, e := range hook.AllEntries() {
			if e.Message == want && e.Level == logrus.WarnLevel {
				return true
			}
		}
		return false
	})
}
