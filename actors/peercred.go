package actors

import (
	"errors"
	"net"
	"syscall"
)

// peerCred is who is at the other end of a UNIX connection, as the
// kernel recorded it when the peer connected (SO_PEERCRED and
// SO_PEERGROUPS on Linux, peercred_linux.go; LOCAL_PEERCRED on macOS and
// FreeBSD, peercred_bsd.go; REFERENCE §11): what it says cannot be forged
// by the peer.
type peerCred struct {
	pid      int32 // 0 when the kernel does not say (FreeBSD)
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
		p, cerr = peerCredOf(int(fd))
	})
	if err == nil {
		err = cerr
	}
	return p, err
}
