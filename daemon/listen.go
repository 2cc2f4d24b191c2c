package daemon

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"time"
)

// DefaultPort is the admin TCP port when an address names none.
const DefaultPort = "11311"

// Address is a parsed admin address.
type Address struct {
	Network string // "unix" or "tcp"
	Addr    string // the path, or host:port
}

// ParseAddress reads the address forms of SPEC §7/§8: unix:/path, /path,
// rel/path (a slash and no colon) are UNIX sockets; host:port or host are
// TCP (port 11311 by default).
func ParseAddress(s string) (Address, error) {
	switch {
	case s == "":
		return Address{}, errors.New("empty address")
	case strings.HasPrefix(s, "unix:"):
		p := strings.TrimPrefix(s, "unix:")
		if p == "" {
			return Address{}, fmt.Errorf("address %q: empty path", s)
		}
		return Address{"unix", p}, nil
	case strings.HasPrefix(s, "/"), strings.Contains(s, "/") && !strings.Contains(s, ":"):
		return Address{"unix", s}, nil
	}
	s = strings.TrimPrefix(s, "tcp:")
	if _, _, err := net.SplitHostPort(s); err != nil {
		s = net.JoinHostPort(strings.Trim(s, "[]"), DefaultPort)
	}
	if _, _, err := net.SplitHostPort(s); err != nil {
		return Address{}, fmt.Errorf("address %q: %w", s, err)
	}
	return Address{"tcp", s}, nil
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

// listen opens the admin listener. A UNIX socket is made mode 0600; a
// stale socket file (nobody accepts on it) is removed first, a live one is
// an error.
func listen(a Address) (net.Listener, error) {
	if a.Network == "unix" {
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
		ln.(*net.UnixListener).SetUnlinkOnClose(true)
		return ln, nil
	}
	ln, err := net.Listen("tcp", a.Addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s: %w", a, err)
	}
	return ln, nil
}
