package notify

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// Bounds of what a sender may cost.
const (
	MaxDatagram = 4096
	Burst       = 64
	Rate        = 32.0 // datagrams a second per sender, after the burst
	GlobalRate  = 2000.0
	maxSenders  = 4096 // rate-limit records kept; older ones are forgotten
)

// Message is one datagram: who sent it and what it says.
type Message struct {
	Pid    int               // the sender, as the kernel says
	Pgid   int               // its process group, 0 if it is gone already
	Fields map[string]string // READY=1, STATUS=..., ...
}

// Listener is the notify socket.
type Listener struct {
	Path string
	conn *net.UnixConn
	once sync.Once
}

// Listen creates the datagram socket at path (a stale file there is
// removed), mode 0666 so that services running as other users can send.
// Where the kernel cannot say who sent a datagram (Supported is false) it
// fails with ErrUnsupported.
func Listen(path string) (*Listener, error) {
	if !Supported {
		return nil, fmt.Errorf("notify socket %s: %w", path, ErrUnsupported)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("notify socket %s: %w", path, err)
	}
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return nil, fmt.Errorf("notify socket %s: %w", path, err)
	}
	raw, err := conn.SyscallConn()
	if err == nil {
		cerr := raw.Control(func(fd uintptr) {
			err = passCred(int(fd))
		})
		if cerr != nil {
			err = cerr
		}
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("notify socket %s: SO_PASSCRED: %w", path, err)
	}
	os.Chmod(path, 0o666)
	return &Listener{Path: path, conn: conn}, nil
}

// Serve reads datagrams until Close, handing each one that passes the
// bounds to deliver (from Serve's goroutine).
func (l *Listener) Serve(deliver func(Message)) {
	buf := make([]byte, MaxDatagram+1)
	oob := make([]byte, credSpace+syscall.CmsgSpace(4*64))
	lim := newLimiter()
	for {
		n, oobn, flags, _, err := l.conn.ReadMsgUnix(buf, oob)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue // a datagram the kernel could not deliver whole
		}
		pid := closeRightsAndPid(oob[:oobn])
		if pid <= 0 || n > MaxDatagram || flags&(syscall.MSG_TRUNC|syscall.MSG_CTRUNC) != 0 {
			continue
		}
		if !lim.allow(pid, time.Now()) {
			continue
		}
		pgid, err := syscall.Getpgid(pid)
		if err != nil {
			pgid = 0
		}
		deliver(Message{Pid: pid, Pgid: pgid, Fields: Parse(buf[:n])})
	}
}

// Close ends Serve and removes the socket file.
func (l *Listener) Close() {
	l.once.Do(func() {
		l.conn.Close()
		os.Remove(l.Path)
	})
}

// closeRightsAndPid closes every fd a datagram carried and returns the
// sender's pid (0 when the kernel gave none).
func closeRightsAndPid(oob []byte) int {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return 0
	}
	pid := 0
	for _, m := range msgs {
		if m.Header.Level != syscall.SOL_SOCKET {
			continue
		}
		if m.Header.Type == syscall.SCM_RIGHTS {
			fds, _ := syscall.ParseUnixRights(&m)
			for _, fd := range fds {
				syscall.Close(fd)
			}
		} else if p, ok := credPid(&m); ok {
			pid = p
		}
	}
	return pid
}

// Parse reads the KEY=VALUE lines of a datagram; lines without `=` are
// ignored.
func Parse(b []byte) map[string]string {
	fields := map[string]string{}
	for _, line := range bytes.Split(b, []byte("\n")) {
		k, v, ok := bytes.Cut(line, []byte("="))
		if ok && len(k) > 0 {
			fields[string(k)] = string(v)
		}
	}
	return fields
}
