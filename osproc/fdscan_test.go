package osproc

import (
	"os"
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

// scanFds (FreeBSD's way to list fds, REFERENCE §11) finds an fd just
// opened, and not once it is closed; the list is sorted and holds 0, 1, 2.
func TestScanFds(t *testing.T) {
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	fd := int(f.Fd())
	limit := fd + 64 // not the whole table: it may be a million numbers
	got := scanFds(limit)
	if !slices.Contains(got, fd) || !slices.IsSorted(got) || !slices.Contains(got, 0) || !slices.Contains(got, 2) {
		t.Fatalf("scanFds %v: want fd %d, 0, 1, 2, sorted", got, fd)
	}
	f.Close()
	if slices.Contains(scanFds(limit), fd) {
		t.Fatalf("scanFds lists fd %d after its close", fd)
	}
	// the launcher made the fd inherited from the test's parent close-on-exec
	if fl, err := unix.FcntlInt(uintptr(inheritedFd), unix.F_GETFD, 0); err != nil || fl&unix.FD_CLOEXEC == 0 {
		t.Fatalf("inherited fd %d: flags %#x, %v: want close-on-exec", inheritedFd, fl, err)
	}
	n, err := OpenFds()
	if err != nil || n < 3 {
		t.Fatalf("OpenFds: %d, %v", n, err)
	}
}
