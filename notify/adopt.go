package notify

import (
	"fmt"
	"net"
	"os"
)

// File returns a dup of the listening socket (close-on-exec), for an
// upgrade in place (REFERENCE §13): the new cfkd serves the same socket,
// and the datagrams sent meanwhile wait in it.
func (l *Listener) File() (*os.File, error) { return l.conn.File() }

// FromFile is Listen for the socket f, bound at path already (by the cfkd
// an upgrade in place replaced). f is closed.
func FromFile(path string, f *os.File) (*Listener, error) {
	defer f.Close()
	c, err := net.FilePacketConn(f)
	if err != nil {
		return nil, fmt.Errorf("notify socket %s: %w", path, err)
	}
	uc, ok := c.(*net.UnixConn)
	if !ok {
		c.Close()
		return nil, fmt.Errorf("notify socket %s: not a UNIX datagram socket", path)
	}
	if raw, err := uc.SyscallConn(); err == nil {
		// a former cfkd's socket may lack its SO_PASSPIDFD: asked again
		raw.Control(func(fd uintptr) { passCred(int(fd)) })
	}
	return &Listener{Path: path, conn: uc, file: socketFile(path)}, nil
}

// SharedFromFile is ListenShared for the socket f, bound at path already
// by the cfkd an upgrade in place replaced, which allowed uids: they are
// allowed until DropInherited. f is closed.
func SharedFromFile(path string, f *os.File, uids []int) (*Listener, error) {
	if len(path) < 2 || path[0] != '@' {
		f.Close()
		return nil, fmt.Errorf("notify socket %q: not an abstract name", path)
	}
	l, err := FromFile(path, f)
	if err != nil {
		return nil, err
	}
	l.shared, l.allowed = true, map[int]int{}
	for _, uid := range uids {
		l.Acquire(uid)
	}
	l.inherited = uids
	return l, nil
}
