package peeruid

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"
)

// The kernel's sock_diag structures (linux/inet_diag.h), which
// golang.org/x/sys does not define.
const (
	sockDiagByFamily = 20 // SOCK_DIAG_BY_FAMILY
	nlmsgHdrLen      = 16 // struct nlmsghdr
	sockIDLen        = 48 // struct inet_diag_sockid
	reqLen           = 8 + sockIDLen
	msgLen           = 4 + sockIDLen + 20 // struct inet_diag_msg
	msgUID           = 4 + sockIDLen + 12 // its idiag_uid
)

// msgInode is the offset of idiag_inode: the inode of the socket's file,
// 0 when no process holds the socket open any more. A TIME_WAIT socket
// (whose idiag_state is its substate, FIN_WAIT2 say) and a request socket
// have none, and sock_diag reports uid 0 for them, which would read as
// root: a socket no process holds is not looked up.
const msgInode = msgUID + 4

// errClosed: the client's socket is gone, or no process holds it any more.
var errClosed = errors.New("the client's socket is closed")

// lookup asks the kernel for the uid of the TCP socket whose local end is
// client and remote end server: one SOCK_DIAG_BY_FAMILY request with the
// exact address and ports (a hash lookup in the kernel, not a dump).
func lookup(client, server netip.AddrPort) (uint32, error) {
	if !client.Addr().Is4() {
		return lookupFamily(unix.AF_INET6, client, server)
	}
	uid, err := lookupFamily(unix.AF_INET, client, server)
	if errors.Is(err, unix.ENOENT) {
		// a client's IPv6 socket connected to ::ffff:127.0.0.1
		c6 := netip.AddrPortFrom(netip.AddrFrom16(client.Addr().As16()), client.Port())
		s6 := netip.AddrPortFrom(netip.AddrFrom16(server.Addr().As16()), server.Port())
		return lookupFamily(unix.AF_INET6, c6, s6)
	}
	return uid, err
}

func lookupFamily(family int, client, server netip.AddrPort) (uint32, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return 0, fmt.Errorf("sock_diag: %w", err)
	}
	defer unix.Close(fd)
	tv := unix.NsecToTimeval(time.Second.Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return 0, fmt.Errorf("sock_diag: %w", err)
	}
	const seq = 1
	req := make([]byte, nlmsgHdrLen+reqLen)
	ne := binary.NativeEndian
	ne.PutUint32(req[0:], uint32(len(req)))
	ne.PutUint16(req[4:], sockDiagByFamily)
	ne.PutUint16(req[6:], unix.NLM_F_REQUEST)
	ne.PutUint32(req[8:], seq)
	r := req[nlmsgHdrLen:]
	r[0], r[1] = byte(family), unix.IPPROTO_TCP
	ne.PutUint32(r[4:], 0xffffffff) // every state
	id := sockID(client, server)
	copy(r[8:], id)
	if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return 0, fmt.Errorf("sock_diag: %w", err)
	}
	buf := make([]byte, 8192)
	for {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			return 0, fmt.Errorf("sock_diag: %w", err)
		}
		for b := buf[:n]; len(b) >= nlmsgHdrLen; {
			l := int(ne.Uint32(b[0:]))
			if l < nlmsgHdrLen || l > len(b) {
				return 0, errors.New("sock_diag: a malformed answer")
			}
			m, typ, s := b[nlmsgHdrLen:l], ne.Uint16(b[4:]), ne.Uint32(b[8:])
			b = b[min(len(b), (l+3)&^3):]
			if s != seq {
				continue
			}
			switch typ {
			case unix.NLMSG_ERROR:
				if len(m) < 4 {
					return 0, errors.New("sock_diag: a malformed error")
				}
				if e := int32(ne.Uint32(m)); e != 0 {
					if unix.Errno(-e) == unix.ENOENT {
						return 0, fmt.Errorf("%w (%w)", errClosed, unix.ENOENT)
					}
					return 0, fmt.Errorf("sock_diag: %w", unix.Errno(-e))
				}
			case sockDiagByFamily:
				if len(m) < msgLen {
					return 0, errors.New("sock_diag: a short answer")
				}
				// the socket asked for, and no other: its two ends (not
				// its interface, which the kernel fills in)
				if int(m[0]) != family || string(m[4:4+36]) != string(id[:36]) {
					return 0, errors.New("sock_diag: the answer is another socket")
				}
				if ne.Uint32(m[msgInode:]) == 0 {
					return 0, fmt.Errorf("%w (no process holds it; TCP state %d)", errClosed, m[1])
				}
				return ne.Uint32(m[msgUID:]), nil
			case unix.NLMSG_DONE:
				return 0, fmt.Errorf("%w (%w)", errClosed, unix.ENOENT)
			}
		}
	}
}

// sockID is a struct inet_diag_sockid: ports and addresses in network
// order, any interface, no cookie.
func sockID(src, dst netip.AddrPort) []byte {
	id := make([]byte, sockIDLen)
	binary.BigEndian.PutUint16(id[0:], src.Port())
	binary.BigEndian.PutUint16(id[2:], dst.Port())
	put := func(b []byte, a netip.Addr) {
		if a.Is4() {
			v := a.As4()
			copy(b, v[:])
			return
		}
		v := a.As16()
		copy(b, v[:])
	}
	put(id[4:20], src.Addr())
	put(id[20:36], dst.Addr())
	binary.NativeEndian.PutUint32(id[40:], 0xffffffff) // INET_DIAG_NOCOOKIE
	binary.NativeEndian.PutUint32(id[44:], 0xffffffff)
	return id
}
