package actors

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

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

// The records of the runs stopped at their ready timeout for cfkd's
// shortage are logged once a second at most across every service, as
// the backoff's record of a start held back is (REFERENCE §2.1, §2.9):
// each run's was logged, so that 1,000 services whose readiness checks
// could not run wrote 1,000 WARNs a second while it lasted. The limiter's
// clock stands still: one record is let through, and the count of the
// others is logged on its own once the shortage ended (its one-shot
// timer).
func TestReadyShortRecordsBoundedAcrossServices(t *testing.T) {
	t.Parallel()
	const n = 5
	log, rec := recordingLogger()
	short := new(atomic.Bool)
	short.Store(true)
	t0 := time.Now()
	r := newRig(t, func(o *Options) {
		o.Log, o.Launcher = log, shortTries{o.Launcher.(*fakeLauncher), short}
		o.readyShortLog = &RecordLimit{Now: func() time.Time { return t0 }}
	})
	r.setAutoTerm()
	var names []string
	for i := range n {
		name := fmt.Sprintf("s%d", i)
		names = append(names, name)
		r.ok("service "+name+" cmd=sleep 100", "service "+name+" ready=exec:true",
			"service "+name+" startwait_secs=0.1", "service "+name+" ready_timeout_secs=0.4")
	}
	r.okDone("command start all", n)
	for _, name := range names {
		r.expectSeq(name, starting, stopping, backoff)
	}
	const said = "could not run: cfkd: too many open files (limit "
	const late = " more " + readyShortCounted + " since the last such record, not logged"
	count := func() (saidN, lateN int) {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		for _, e := range rec.entries {
			if strings.Contains(e.Message, said) {
				saidN++
				if strings.Contains(e.Message, "(and ") {
					t.Errorf("a count with the record, while the limiter's clock stands still: %q", e.Message)
				}
			}
			if k, ok := strings.CutSuffix(e.Message, late); ok {
				m, err := strconv.Atoi(k)
				if err != nil {
					t.Errorf("the count not logged: %q", e.Message)
				}
				lateN += m
			}
		}
		return
	}
	// each service logged its stop before its backoff
	if saidN, _ := count(); saidN != 1 {
		t.Fatalf("%d records of the %d runs stopped for cfkd's shortage in one second, want 1:\n%s", saidN, n, rec.text())
	}
	short.Store(false) // cfkd has fds again
	for _, name := range names {
		r.expectSeq(name, starting, running)
	}
	waitFor(t, "the count of the records not logged", func() bool {
		saidN, lateN := count()
		return saidN == 1 && saidN+lateN >= n
	})
}
