package daemon

import (
	"syscall"

	"github.com/cfk/cfk/osproc"
	"github.com/sirupsen/logrus"
)

// fdRoom reads cfkd's fd limit and logs how many services it holds
// (REFERENCE §7.6): each running service holds 2 fds in cfkd, and
// osproc.FdReserve plus a fork's few stay for cfkd itself. It returns the
// soft limit and that number.
//
// cfkd does not raise its soft limit: Go's runtime did before main, to one
// below the hard limit (syscall's rlimit.go), and it gives every child the
// soft limit cfkd was started with again, between fork and exec, as long
// as cfkd's is still that value (so raising it the last fd further would
// give the raised limit to every service). Services thus see the limits
// cfkd was given, as under systemd, which raises its own limit but starts
// services with LimitNOFILE's soft value (1024 by default, for select(2));
// a service that needs more raises its soft limit up to the hard one.
func fdRoom(log logrus.FieldLogger) (limit uint64, room int) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		log.WithError(err).Warn("cannot read the limit of open files")
		return 0, 0
	}
	cur := uint64(lim.Cur) // an int64 on FreeBSD
	open, err := osproc.OpenFds()
	if err != nil {
		log.WithError(err).Warn("cannot count the open files")
		return cur, 0
	}
	room = osproc.ServiceRoom(cur, open)
	log.Infof("open files: limit %d (hard %d), %d in use by cfkd: room for about %d running services (%d fds each)",
		cur, lim.Max, open, room, osproc.FdsPerService)
	return cur, room
}
