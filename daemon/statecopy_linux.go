//go:build linux && !cfkportable

package daemon

import (
	"os"

	"golang.org/x/sys/unix"
)

// sealedState is a memfd holding b, sealed: neither written, grown nor
// shrunk again, by anyone (/proc/PID/fd/N opens it with the seals).
func sealedState(b []byte) (*os.File, error) {
	fd, err := unix.MemfdCreate("cfkd-upgrade-state", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "upgrade.state copy")
	if _, err := f.Write(b); err != nil {
		f.Close()
		return nil, err
	}
	seals := unix.F_SEAL_WRITE | unix.F_SEAL_GROW | unix.F_SEAL_SHRINK | unix.F_SEAL_SEAL
	if _, err := unix.FcntlInt(f.Fd(), unix.F_ADD_SEALS, seals); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
