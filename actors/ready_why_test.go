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

// Each try of a ready=exec: check runs in its own process group, killed
// whole when it hangs and ended once it exits (REFERENCE §2.9), also for
// a service with no_new_session, whose own process stays in cfkd's
// group. The probe took the service's session: in cfkd's group, the kill
// of a hung try reached its shell alone, and `sleep 100; true` left its
// sleep behind, one more every 30 s while the service started.
func TestExecCheckRunsInItsOwnGroup(t *testing.T) {
	t.Parallel()
	for _, nns := range []string{"0", "1"} {
		r := newRig(t)
		r.setAutoTerm()
		r.ok("service s cmd=sleep 100", "service s ready=exec:sleep 100; true", "service s no_new_session="+nns)
		r.okDone("command start service s", 1)
		if run := r.fake.waitLaunch(t, 1).Spec; run.Setsid != (nns == "0") {
			t.Fatalf("no_new_session=%s: the run's Setsid %v", nns, run.Setsid)
		}
		probe := r.fake.waitLaunch(t, 2).Spec
		if len(probe.Argv) != 3 || probe.Argv[2] != "sleep 100; true" {
			t.Fatalf("launch 2 is %q, want the probe", probe.Argv)
		}
		if !probe.Setsid || !probe.EndGroup {
			t.Errorf("no_new_session=%s: the probe's Setsid %v, EndGroup %v: want its own group, ended with it", nns, probe.Setsid, probe.EndGroup)
		}
	}
}

// The same for the probe of a proxied run, which the service's
// declaration makes afresh (no run kept).
func TestProxiedExecCheckRunsInItsOwnGroup(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	proxies := r.playProxies()
	r.declareProxied([]string{"noauto=1"}, "s")
	r.ok("service s ready=exec:false", "service s ready_timeout_secs=0", "service s no_new_session=1")
	r.ok("command proxyup p")
	p := nextProxy(t, proxies) // launch 1
	r.okDone("command start service s", 1)
	p.command()
	p.started("s", 500)
	probe := r.fake.waitLaunch(t, 2).Spec
	if len(probe.Argv) != 3 || probe.Argv[2] != "false" {
		t.Fatalf("launch 2 is %q, want the probe", probe.Argv)
	}
	if !probe.Setsid || !probe.EndGroup {
		t.Errorf("the probe's Setsid %v, EndGroup %v: want its own group, ended with it", probe.Setsid, probe.EndGroup)
	}
}
