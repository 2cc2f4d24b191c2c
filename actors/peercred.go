package actors

import (
	"errors"
	"net"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// peerCred is who is at the other end of a UNIX connection, as the
// kernel recorded it when the peer connected (SO_PEERCRED,
// SO_PEERGROUPS): what it says cannot be forged by the peer.
type peerCred struct {
	pid      int32
	uid, gid uint32
	groups   []uint32 // supplementary groups; nil when the kernel does not say
}

// inGroup reports whether gid is the peer's primary or one of its
// supplementary groups.
func (p peerCred) inGroup(gid uint32) bool {
	if p.gid == gid {
		return true
	}
	for _, g := range p.groups {
		if g == gid {
			return true
		}
	}
	return false
}

var errNotUnix = errors.New("not a UNIX connection")

// readPeerCred reads the credentials of conn's peer. It makes two
// getsockopt calls: the accept goroutine calls it, never an actor.
func readPeerCred(conn net.Conn) (peerCred, error) {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return peerCred{}, errNotUnix
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return peerCred{}, err
	}
	var (
		p    peerCred
		cerr error
	)
	err = raw.Control(func(fd uintptr) {
		var uc *unix.Ucred
		uc, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
		if cerr != nil {
			return
		}
		p = peerCred{pid: uc.Pid, uid: uc.Uid, gid: uc.Gid}
		p.groups, _ = peerGroups(int(fd)) // Linux >= 4.13; without it, the primary group only
	})
	if err == nil {
		err = cerr
	}
	return p, err
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
