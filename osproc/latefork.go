package osproc

import (
	"errors"
	"syscall"

	"github.com/cfk/cfk/internal/nss"
	"github.com/sirupsen/logrus"
)

// lateFork is the error of a fork through the fork server whose reply did
// not come in time (forkwait_linux.go): Launch fails with its TimeoutError
// (`exec of /mnt/x/bin/app did not answer within 5s`), and the fork stays
// under way until the reply comes, with lateForked.
type lateFork struct{ *nss.TimeoutError }

// lateForked ends fork number seq, whose launch gave up waiting for it:
// err when it made no child, else pid, cfkd's child (CLONE_PARENT) that
// nobody supervises. It is registered as any child, so that the reaper
// reaps it and no orphan scan takes it for another's (its exit, if it
// came already, was kept for this fork as any early exit: the fork was
// counted under way until now), and killed with its process group when
// it leads one.
func (l *Launcher) lateForked(seq uint64, lt *lateness, pid int, err error, group bool, tag string) {
	log := l.log.WithFields(logrus.Fields{"pid": pid, "tag": tag})
	proc, early, orphans := l.registerFork(seq, lt, pid, err, group, group, func(pid int, ws syscall.WaitStatus) {
		log.WithField("status", int(ws)).Info("reaped the child of a launch given up")
	})
	l.logOrphans(orphans)
	switch {
	case err != nil:
		l.log.WithError(err).WithField("tag", tag).Info("a launch given up ended: no child was made")
	case early != nil:
		log.WithField("status", int(*early)).Info("reaped the child of a launch given up")
	default:
		// logged before the kill: the reaper may reap the child (and log
		// it reaped) before Signal returns
		log.Warn("the child of a launch given up (its exec did not answer in time) was made at last: killing it")
		if err := l.Signal(proc, syscall.SIGKILL); err != nil && !errors.Is(err, ErrDone) {
			log.WithError(err).Warn("cannot kill the child of a launch given up")
		}
	}
}
