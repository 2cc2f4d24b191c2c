//go:build darwin || freebsd

package actors

import "golang.org/x/sys/unix"

// peerCredOf reads LOCAL_PEERCRED of a connected UNIX socket: the peer's
// effective uid and its groups when it connected, the first of which is
// its effective gid (struct xucred, at most 16 groups). The pid comes
// from LOCAL_PEERPID on macOS; FreeBSD's xucred holds it in a union that
// x/sys does not expose, so it is 0 there (it only appears in the audit
// records). Built and vetted (make lint), not run: CI runs on Linux only
// (REFERENCE §11).
func peerCredOf(fd int) (peerCred, error) {
	xu, err := unix.GetsockoptXucred(fd, unix.SOL_LOCAL, unix.LOCAL_PEERCRED)
	if err != nil {
		return peerCred{}, err
	}
	n := min(max(int(xu.Ngroups), 0), len(xu.Groups))
	p := peerCred{uid: xu.Uid}
	if n > 0 {
		p.gid = xu.Groups[0]
		p.groups = append([]uint32(nil), xu.Groups[1:n]...)
	}
	p.pid = peerPid(fd)
	return p, nil
}
