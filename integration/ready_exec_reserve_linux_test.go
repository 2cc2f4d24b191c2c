package integration

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/cfk/cfk/actors"
	. "github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/osproc"
	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"
	"golang.org/x/sys/unix"
)

// The tries of a ready=exec: probe take none of the last fds cfkd keeps
// for itself (REFERENCE §7.6): their stderr pipe is the launch's, made
// within its budget. The try made it itself before its launch, and a
// try ran, holding 2 of those fds, with nothing else free: here the
// service became ready. It is now cfkd's shortage, and no try runs: not
// ready in time while its last try could not run, the run is stopped and
// waits in backoff with cfkd's reason, not counted, as a launch's
// shortage does (REFERENCE §2.1, §2.9: `not ready after 2s, and its last
// readiness check could not run: cfkd: too many open files (limit N)`),
// not `fail` (respawn_on_fail=0) with `Not ready after 2s`.
func TestExecProbeKeepsTheFdReserve(t *testing.T) {
	// not parallel: the process runs out of fds
	dir := t.TempDir()
	tried, pass := filepath.Join(dir, "tried"), filepath.Join(dir, "pass")
	log := logrus.New()
	log.SetOutput(io.Discard)
	hook := logtest.NewLocal(log)
	h := newHarness(t, func(o *actors.Options) { o.Log = log })
	h.ok("service act cmd=sleep 100", "service act startwait_secs=0.1", "service act ready_timeout_secs=2.5",
		"service act respawn_on_fail=0", "service act ready=exec:test -e "+pass+" || { echo >> "+tried+"; exit 1; }",
		"command start service act")
	logOnFailure(t, hook)
	h.expect("act", Starting)
	// four tries failed: the next comes 0.8 s after the fourth (the
	// pauses double from 0.1 s), the one after it past the timeout: the
	// table is full before the next, which the timeout follows
	h.poll("four tries", func() bool { b, _ := os.ReadFile(tried); return len(b) >= 4 })

	// the table full but for the reserve
	fillFds(t, osproc.FdReserve)
	if err := os.Remove(tried); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pass, nil, 0o644); err != nil {
		t.Fatal(err)
	}

	const reason = "cfkd: too many open files (limit "
	evs := h.expectSeq("act", Stopping, Backoff) // not ready: no try ran, for cfkd's shortage
	if !strings.HasPrefix(evs[1].Reason, reason) {
		t.Errorf("backoff for %q, want cfkd's reason %q...", evs[1].Reason, reason)
	}
	if _, err := os.Stat(tried); err == nil {
		t.Error("a try ran with only the fds cfkd keeps for itself free")
	}
	waitNotReadyShort(t, h, hook, "act: not ready after 2.5s, and its last readiness check could not run: "+reason)
}

// logOnFailure logs what hook got, should the test fail.
func logOnFailure(t *testing.T, hook *logtest.Hook) {
	t.Cleanup(func() {
		if t.Failed() {
			for _, e := range hook.AllEntries() {
				t.Log(e.Message)
			}
		}
	})
}

// waitNotReadyShort waits for the log's record of a run not ready while
// its probe's last try could not run, starting with want.
func waitNotReadyShort(t *testing.T, h *harness, hook *logtest.Hook, want string) {
	t.Helper()
	h.poll("the last check logged", func() bool {
		for _, e := range hook.AllEntries() {
			if strings.HasPrefix(e.Message, want) {
				return true
			}
		}
		return false
	})
}

// fillFds fills the fd table of the process but for its last keep fds,
// under a soft limit lowered to 64 above what it has open, until the
// test's end (its cleanup runs before the harness's: its shutdown wants
// fds).
func fillFds(t *testing.T, keep int) {
	t.Helper()
	var old unix.Rlimit
	if err := unix.Prlimit(0, unix.RLIMIT_NOFILE, nil, &old); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	if low := uint64(len(ents) + 64); low <= old.Cur {
		if err := unix.Prlimit(0, unix.RLIMIT_NOFILE, &unix.Rlimit{Cur: low, Max: old.Max}, nil); err != nil {
			t.Fatal(err)
		}
	}
	var fds []int
	t.Cleanup(func() { // before the harness's: its shutdown wants fds
		for _, fd := range fds {
			syscall.Close(fd)
		}
		unix.Prlimit(0, unix.RLIMIT_NOFILE, &old, nil)
	})
	for {
		fd, err := unix.FcntlInt(uintptr(syscall.Stdin), unix.F_DUPFD_CLOEXEC, 0)
		if errors.Is(err, syscall.EMFILE) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		fds = append(fds, fd)
	}
	for range keep { // the highest: the last fds of the table
		syscall.Close(fds[len(fds)-1])
		fds = fds[:len(fds)-1]
	}
}
