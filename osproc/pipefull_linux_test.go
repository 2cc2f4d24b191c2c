package osproc

import (
	"fmt"
	"testing"

	"golang.org/x/sys/unix"
)

// pipeFull waits until the pipe whose read end is r holds as many bytes as
// it can: its writer is then blocked (or about to be).
func pipeFull(t *testing.T, r int, what string) {
	t.Helper()
	size, err := unix.FcntlInt(uintptr(r), unix.F_GETPIPE_SZ, 0)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, what, func() (bool, string) {
		n, err := unix.IoctlGetInt(r, unix.TIOCINQ) // FIONREAD
		return err == nil && n >= size, fmt.Sprintf("%d bytes of %d in the pipe (%v)", n, size, err)
	})
}
