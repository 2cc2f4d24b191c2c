//go:build linux && !cfkportable

package osproc

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// TestChildrenStartWithNoSignalBlocked: a cfkd started with signals
// blocked (its parent's mask, which Go keeps in every thread it makes, but
// for the signals it needs) forks children that block none, itself and
// through a fork server started with that mask (REFERENCE §2.4).
func TestChildrenStartWithNoSignalBlocked(t *testing.T) {
	grep, err := exec.LookPath("grep")
	if err != nil {
		t.Skip("no grep")
	}
	// on this thread only: SIGUSR1 and SIGPIPE, which Go leaves blocked
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var blocked, old unix.Sigset_t
	blocked.Val[0] = 1<<(syscall.SIGUSR1-1) | 1<<(syscall.SIGPIPE-1)
	if err := unix.PthreadSigmask(unix.SIG_BLOCK, &blocked, &old); err != nil {
		t.Fatal(err)
	}
	defer unix.PthreadSigmask(unix.SIG_SETMASK, &old, nil)

	log := logrus.New()
	log.SetOutput(io.Discard)
	s, err := startForkServer(log, 1) // forked from this thread: it blocks them too
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.stop) // killed and reaped
	ways := []struct {
		name string
		fork func(attr *syscall.ProcAttr) error
	}{{"the fork server", func(attr *syscall.ProcAttr) error {
		_, err, served := s.forkExec(grep, []string{"grep", "SigBlk", "/proc/self/status"}, attr, killLate)
		if !served {
			return fmt.Errorf("not served by the fork server")
		}
		return err
	}}, {"cfkd itself", func(attr *syscall.ProcAttr) error {
		_, err := forkExecSelf(grep, []string{"grep", "SigBlk", "/proc/self/status"}, attr)
		return err
	}}}
	for _, way := range ways {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		null := launcher.devnull.Fd()
		err = way.fork(&syscall.ProcAttr{Files: []uintptr{null, w.Fd(), null}})
		w.Close()
		if err != nil {
			r.Close()
			t.Fatalf("%s: %v", way.name, err)
		}
		// grep exits at once (reaped by the launcher's reaper); its output
		// is read to EOF, within a deadline
		r.SetReadDeadline(time.Now().Add(10 * time.Second))
		out, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatalf("%s: %v", way.name, err)
		}
		var mask uint64
		if _, err := fmt.Sscanf(strings.TrimSpace(string(out)), "SigBlk:\t%x", &mask); err != nil {
			t.Fatalf("%s: %q: %v", way.name, out, err)
		}
		if mask != 0 {
			t.Errorf("%s: the child starts with signals blocked: SigBlk %016x", way.name, mask)
		}
	}
}
