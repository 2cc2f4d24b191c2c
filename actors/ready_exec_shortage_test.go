package actors

import (
	"fmt"
	"io"
	"strings"
	"syscall"
	"testing"

	"github.com/cfk/cfk/osproc"
	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"
)

// shortTries is the fake launcher whose launches of the tries of an exec:
// probe fail as osproc's do when the try's stderr pipe would take one of
// the fds cfkd keeps for itself.
type shortTries struct{ *fakeLauncher }

func (s shortTries) Launch(spec osproc.Spec, onExit func(pid int, ws syscall.WaitStatus)) (*osproc.Process, error) {
	if len(spec.Argv) == 3 && spec.Argv[0] == "/bin/sh" { // a try
		return nil, fmt.Errorf("pipe: %w (the last %d are kept for cfkd)", syscall.EMFILE, osproc.FdReserve)
	}
	return s.fakeLauncher.Launch(spec, onExit)
}

// A try of a ready=exec: probe that cfkd could not launch for want of its
// own fds is cfkd's shortage, said as a launch's (REFERENCE §2.1, §2.9),
// not the check's answer: `its last readiness check failed: not run:
// cfkd: too many open files (limit N)`, where it said osproc's `pipe:
// too many open files (the last 16 are kept for cfkd)`.
func TestExecTryShortIsCfkdsShortage(t *testing.T) {
	t.Parallel()
	log := logrus.New()
	log.SetOutput(io.Discard)
	hook := logtest.NewLocal(log)
	r := newRig(t, func(o *Options) { o.Log, o.Launcher = log, shortTries{o.Launcher.(*fakeLauncher)} })
	r.setAutoTerm()
	r.ok("service s cmd=sleep 100", "service s ready=exec:true",
		"service s respawn_on_fail=0", "service s startwait_secs=0.1", "service s ready_timeout_secs=0.4")
	r.okDone("command start service s", 1)
	r.expectSeq("s", starting, stopping, fail)
	want := "s: its last readiness check failed: not run: cfkd: too many open files (limit "
	waitFor(t, "the last check logged", func() bool {
		for _, e := range hook.AllEntries() {
			if strings.HasPrefix(e.Message, want) && e.Level == logrus.WarnLevel {
				return true
			}
		}
		return false
	})
}
