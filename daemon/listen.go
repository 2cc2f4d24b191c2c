package daemon

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/cfk/cfk/protocol"
)

// Address is a parsed admin address.
type Address struct {
	Network string // "unix" or "tcp"
	Addr    string // the path, or host:port
}

// ParseAddress reads an admin address with protocol.ParseAddress, the
// parser cfkctl uses too.
func ParseAddress(s string) (Address, error) {
	network, addr, err := protocol.ParseAddress(s)
	if err != nil {
		return Address{}, err
	}
	return Address{Network: network, Addr: addr}, nil
}

// Loopback reports whether a TCP address only listens on loopback.
func (a Address) Loopback() bool {
	if a.Network == "unix" {
		return true
	}
	host, _, _ := net.SplitHostPort(a.Addr)
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (a Address) String() string {
	if a.Network == "unix" {
		return "unix:" + a.Addr
	}
	return a.Addr
}

// bound returns a with the port the TCP listener ln really got (the
// kernel picks one for port 0); the host is kept as given. A UNIX address
// is returned as it is.
func (a Address) bound(ln net.Listener) Address {
	tcp, ok := ln.Addr().(*net.TCPAddr)
	if a.Network != "tcp" || !ok {
		return a
	}
	host, _, err := net.SplitHostPort(a.Addr)
	if err != nil {
		return a
	}
	a.Addr = net.JoinHostPort(host, strconv.Itoa(tcp.Port))
	return a
}

// listen opens the admin listener. A UNIX socket is made mode 0600; a
// stale socket file (nobody accepts on it) is removed first, a live one is
// an error.
func listen(a Address) (net.Listener, error) {
	if a.Network == "unix" {
		if max := len(syscall.RawSockaddrUnix{}.Path) - 1; len(a.Addr) > max {
			// the kernel's bind says only "invalid argument" (REFERENCE §7.2)
			return nil, fmt.Errorf("cannot listen on %s: UNIX socket path too long (%d bytes, max %d)", a, len(a.Addr), max)
		}
		if st, err := os.Lstat(a.Addr); err == nil {
			if st.Mode()&os.ModeSocket == 0 {
				return nil, fmt.Errorf("cannot listen on %s: a file that is not a socket is in the way", a.Addr)
			}
			if c, err := net.DialTimeout("unix", a.Addr, time.Second); err == nil {
				c.Close()
				return nil, fmt.Errorf("cannot listen on %s: another process accepts connections there", a.Addr)
			}
			os.Remove(a.Addr)
		}
		old := syscall.Umask(0o177)
		ln, err := net.Listen("unix", a.Addr)
		syscall.Umask(old)
		if err != nil {
			return nil, fmt.Errorf("cannot listen on %s: %w", a, err)
		}
		return ownSocket(ln.(*net.UnixListener), a.Addr), nil
	}
	// plain TCP: net.Listen makes an MPTCP listener where the kernel
	// has it, which takes no socket filter, and the filter is what
	// keeps new clients out while a shutdown refuses the backlog
	// (actors.RefuseBacklog, REFERENCE §7.4)
	var lc net.ListenConfig
	lc.SetMultipathTCP(false)
	ln, err := lc.Listen(context.Background(), "tcp", a.Addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s: %w", a, err)
	}
	return ln, nil
}

// unixListener is the admin socket: closed, it removes its file, unless
// another file took its path (the home was moved or removed, and another
// cfkd listens there now: its socket is not this one's to remove,
// REFERENCE §7.2).
type unixListener struct {
	*net.UnixListener
	path string
	file os.FileInfo // what path was once bound; nil: never removed
	once sync.Once
}

// ownSocket makes ln, bound at path, remove path at Close while path is
// still its socket file.
func ownSocket(ln *net.UnixListener, path string) net.Listener {
	ln.SetUnlinkOnClose(false)
	u := &unixListener{UnixListener: ln, path: path}
	if fi, err := os.Lstat(path); err == nil {
		u.file = fi
	}
	return u
}

func (u *unixListener) Close() error {
	err := u.UnixListener.Close()
	u.once.Do(func() {
		if now, lerr := os.Lstat(u.path); lerr == nil && u.file != nil && os.SameFile(u.file, now) {
			os.Remove(u.path)
		}
	})
	return err
}
