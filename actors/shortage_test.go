package actors

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/cfk/cfk/osproc"
)

// TestShortage: what a failed launch is. Fds short are cfkd's, from the
// fork or from the child; a fork's EAGAIN or ENOMEM is cfkd's; the same
// errnos from the child after its fork (osproc.ExecError: its user's
// RLIMIT_NPROC at execve) and any other error are the service's.
func TestShortage(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string // the reason's start; "" for the service's
	}{
		{fmt.Errorf("pipe: %w", syscall.EMFILE), "cfkd: too many open files"},
		{fmt.Errorf("exec x: %w", &osproc.ExecError{Errno: syscall.EMFILE}), "cfkd: too many open files"},
		{fmt.Errorf("pipe: %w", syscall.ENFILE), "cfkd: too many open files in the system"},
		{fmt.Errorf("exec x: %w", syscall.EAGAIN), "cfkd: cannot fork: resource temporarily unavailable"},
		{fmt.Errorf("exec x: %w", syscall.ENOMEM), "cfkd: cannot fork: out of memory"},
		{fmt.Errorf("exec x: %w", &osproc.ExecError{Errno: syscall.EAGAIN}), ""},
		{fmt.Errorf("exec x: %w", &osproc.ExecError{Errno: syscall.ENOMEM}), ""},
		{fmt.Errorf("exec x: %w", &osproc.ExecError{Errno: syscall.ENOENT}), ""},
		{errors.New("empty command"), ""},
	} {
		got := shortage(c.err)
		switch {
		case c.want == "" && got != nil:
			t.Errorf("%v: cfkd's (%v), want the service's", c.err, got)
		case c.want != "" && (got == nil || !strings.HasPrefix(got.Error(), c.want)):
			t.Errorf("%v: %v, want cfkd's %q", c.err, got, c.want)
		}
	}
}
