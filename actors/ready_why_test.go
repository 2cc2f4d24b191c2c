package actors

import (
	"io"
	"testing"
	"time"

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

// A ready=exec: check that hangs is killed, a failed try (REFERENCE §2.9:
// 30 s). Its kill returned no error: the service was taken as ready,
// `running` 30 s after its launch whatever it did.
func TestExecCheckThatHangsIsAFailedTry(t *testing.T) {
	t.Parallel()
	log := logrus.New()
	log.SetOutput(io.Discard)
	hook := logtest.NewLocal(log)
	r := newRig(t, func(o *Options) { o.Log, o.ExecProbeTry = log, 50*time.Millisecond })
	r.setAutoTerm()
	r.ok("service s cmd=sleep 100", "service s ready=exec:sleep 100", "service s respawn_on_fail=0",
		"service s startwait_secs=0.05", "service s ready_timeout_secs=1")
	r.okDone("command start service s", 1)
	if got := r.expectSeq("s", starting, stopping, fail); got[2].Reason != "Not ready after 1s" {
		t.Fatalf("reason %q, want Not ready after 1s", got[2].Reason)
	}
	want := "s: its last readiness check failed: did not exit within 50ms: killed"
	waitFor(t, "the last check logged", func() bool {
		for _, e := range hook.AllEntries() {
			if e.Message == want {
				return true
			}
		}
		return false
	})
}
