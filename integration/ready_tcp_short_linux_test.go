// Linux's (prlimit(2)), in both builds: on the portable one the output
// poller's poll(2) refuses more fds than the soft limit (EINVAL), which
// this test lowers to 0, and reads the services' output a part at a time
// meanwhile (REFERENCE §7.6); the tests after it find it reading as
// before.

package integration

import (
	"io"
	"net"
	"strings"
	"testing"

	"github.com/cfk/cfk/actors"
	. "github.com/cfk/cfk/messages"
	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"
	"golang.org/x/sys/unix"
)

// A ready=tcp: (and http:) try that cannot open its socket for want of
// cfkd's fds is cfkd's shortage as an exec: try's is (REFERENCE §2.9):
// it said `socket: too many open files`, and the run ended counted,
// `fail` with `Not ready after 2s` here (respawn_on_fail=0).
func TestTCPProbeShortOfFdsIsCfkds(t *testing.T) {
	// not parallel: the process runs out of fds
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens: each try fails, refused
	log := logrus.New()
	log.SetOutput(io.Discard)
	hook := logtest.NewLocal(log)
	h := newHarness(t, func(o *actors.Options) { o.Log = log })
	h.ok("service act cmd=sleep 100", "service act startwait_secs=0.1", "service act ready_timeout_secs=2",
		"service act respawn_on_fail=0", "service act ready=tcp:"+addr, "command start service act")
	h.expect("act", Starting)
	// the tries from now on cannot open their socket: a soft limit of 0
	// fails every new fd, where a table filled up to its limit gave the
	// dial an fd that something of the process closed meanwhile (the
	// pipes of the test before, closed as the shared poller reads their
	// end)
	var old unix.Rlimit
	if err := unix.Prlimit(0, unix.RLIMIT_NOFILE, nil, &old); err != nil {
		t.Fatal(err)
	}
	if err := unix.Prlimit(0, unix.RLIMIT_NOFILE, &unix.Rlimit{Cur: 0, Max: old.Max}, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Prlimit(0, unix.RLIMIT_NOFILE, &old, nil) }) // before the harness's

	const reason = "cfkd: too many open files (limit "
	logOnFailure(t, hook)
	evs := h.expectSeq("act", Stopping, Backoff)
	if !strings.HasPrefix(evs[1].Reason, reason) {
		t.Errorf("backoff for %q, want cfkd's reason %q...", evs[1].Reason, reason)
	}
	waitNotReadyShort(t, h, hook, "act: not ready after 2s, and its last readiness check could not run: "+reason)
}
