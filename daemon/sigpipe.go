package daemon

import (
	"os"
	"os/signal"
	"syscall"
)

// survivePipes keeps cfkd alive when the reader of its stdout or stderr
// goes away (REFERENCE §7.3): Go's runtime ends a program with SIGPIPE
// when a write to fd 1 or 2 meets a closed pipe, unless SIGPIPE is
// notified; then the write fails with EPIPE, which a log destination
// counts and reports like any failed write (package logconf). cfkd
// logging to stderr under `| logger`, a container's log pipe or a
// journal stream that went away died of its next line, and left its
// services running unsupervised; and `cfkd -d` whose stdout had no
// reader any more died of its line `cfkd running in the background`,
// exit 141, its cfkd running. It is caught, never ignored: an ignored
// disposition would survive the services' exec. The channel is never
// read: the runtime drops what does not fit.
func survivePipes() {
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
}
