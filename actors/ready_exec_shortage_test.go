package actors

import (
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/cfk/cfk/osproc"
	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"
)

// shortTries is the fake launcher whose launches of the tries of an exec:
// probe fail, while short is set, as osproc's do when the try's stderr
// pipe would take one of the fds cfkd keeps for itself; else each try
// exits 0 at once (ready).
type shortTries struct {
	*fakeLauncher
	short *atomic.Bool
}

func (s shortTries) Launch(spec osproc.Spec, onExit func(pid int, ws syscall.WaitStatus)) (*osproc.Process, error) {
	if len(spec.Argv) != 3 || spec.Argv[0] != "/bin/sh" { // not a try
		return s.fakeLauncher.Launch(spec, onExit)
	}
	if s.short.Load() {
		return nil, fmt.Errorf("pipe: %w (the last %d are kept for cfkd)", syscall.EMFILE, osproc.FdReserve)
	}
	p, err := s.fakeLauncher.Launch(spec, onExit)
	if err == nil {
		s.fakeLauncher.exitStatus(p.Pid, exitCode(0))
	}
	return p, err
}

// A ready timeout while the last try of the ready=exec: probe could not
// be run for want of cfkd's own fds is cfkd's shortage, not the
// service's failure (REFERENCE §2.1, §2.9): the run is stopped, then in
// backoff with cfkd's reason, not counted (respawn_max_retries=1 left it
// fatal at once, `Not ready after 400ms`), started again after 1 s, and
// running once the tries run. The log says why: `not ready after 400ms,
// and its last readiness check could not run: cfkd: too many open files
// (limit N)`, where osproc's `pipe: too many open files (the last 16
// are kept for cfkd)` was said before the shortage was told apart.
func TestExecTryShortIsCfkdsShortage(t *testing.T) {
	t.Parallel()
	log := logrus.New()
	log.SetOutput(io.Discard)
	hook := logtest.NewLocal(log)
	short := new(atomic.Bool)
	short.Store(true)
	r := newRig(t, func(o *Options) { o.Log, o.Launcher = log, shortTries{o.Launcher.(*fakeLauncher), short} })
	r.setAutoTerm()
	r.ok("service s cmd=sleep 100", "service s ready=exec:true", "service s respawn_on_fail=1",
		"service s respawn_max_retries=1", "service s startwait_secs=0.1", "service s ready_timeout_secs=0.4")
	r.okDone("command start service s", 1)
	const reason = "cfkd: too many open files (limit "
	evs := r.expectSeq("s", starting, stopping)
	evs = append(evs, r.expectSeq("s", backoff)...) // not fatal
	if !strings.HasPrefix(evs[2].Reason, reason) {
		t.Fatalf("backoff for %q, want cfkd's reason %q...", evs[2].Reason, reason)
	}
	if i := r.info("service s")[0]; i.Retries != 0 || !strings.HasPrefix(i.LastError, reason) {
		t.Errorf("inspect: retries %d, last_error %q; want 0 (not counted) and cfkd's reason", i.Retries, i.LastError)
	}
	want := "s: not ready after 400ms, and its last readiness check could not run: " + reason
	waitFor(t, "the shortage logged", func() bool {
		for _, e := range hook.AllEntries() {
			if strings.HasPrefix(e.Message, want) && e.Level == logrus.WarnLevel {
				return true
			}
		}
		return false
	})
	short.Store(false) // cfkd has fds again: the retry's tries run
	r.expectSeq("s", starting, running)
	if i := r.info("service s")[0]; i.Retries != 0 || i.LastError != "" {
		t.Errorf("inspect once running: retries %d, last_error %q", i.Retries, i.LastError)
	}
}
