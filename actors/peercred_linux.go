package actors

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// peerCredOf reads SO_PEERCRED and SO_PEERGROUPS of a connected UNIX
// socket (in both Linux builds: -tags cfkportable does not change it).
func peerCredOf(fd int) (peerCred, error) {
	uc, err := unix.GetsockoptUcred(fd, unix.SOL_SOCKET, unix.SO_PEERCRED)
	if err != nil {
		return peerCred{}, err
	}
	p := peerCred{pid: uc.Pid, uid: uc.Uid, gid: uc.Gid}
	p.groups, _ = peerGroups(fd) // Linux >= 4.13; without it, the primary group only
	return p, nil
}

// peerGroups reads SO_PEERGROUPS: the supplementary groups of the peer
// when it connected.
func peerGroups(fd int) ([]uint32, error) {
	buf := make([]uint32, 32)
	for range 4 {
		n := uint32(len(buf) * 4)
		_, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), unix.SOL_SOCKET, unix.SO_PEERGROUPS,
			uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&n)), 0)
		switch {
		case e == 0:
			return buf[:n/4], nil
		case e == unix.ERANGE && int(n/4) > len(buf):
			buf = make([]uint32, n/4)
		default:
			return nil, e
		}
	}
	return nil, unix.ERANGE
}
