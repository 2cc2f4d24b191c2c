package sockets

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/cfk/cfk/messages"
	"golang.org/x/sys/unix"
)

// The mode of a UNIX socket is set without /proc where the kernel has
// fchmodat2 (Linux 6.6): cfkd as a system's init runs before /proc is
// mounted, and every UNIX socket's bind failed, `chmod: no such file or
// directory`, once the chmod went through /proc/self/fd.
func TestUnixChmodWithoutProc(t *testing.T) {
	if err := chmodWithoutProcSupported(); err != nil {
		t.Skipf("no fchmodat2 with AT_EMPTY_PATH (Linux 6.6): %v", err)
	}
	procSelfFd = "/nonexistent/proc/self/fd/" // as without /proc
	t.Cleanup(func() { procSelfFd = "/proc/self/fd/" })
	path := filepath.Join(shortDir(t), "u.sock")
	mustBind(t, messages.SocketConfig{Name: "u", Host: "unix/", Service: path})
	st, err := os.Lstat(path)
	if err != nil || st.Mode().Perm() != UnixMode || st.Mode().Type() != os.ModeSocket {
		t.Fatalf("%s: %v %v, want a socket of mode %o", path, st.Mode(), err, UnixMode)
	}
}

// chmodWithoutProcSupported tries fchmodat2 with AT_EMPTY_PATH on a file.
func chmodWithoutProcSupported() error {
	f, err := os.CreateTemp("", "chmod")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	return unix.Fchmodat(int(f.Fd()), "", 0o600, unix.AT_EMPTY_PATH)
}
