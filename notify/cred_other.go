//go:build !linux

package notify

import (
	"errors"
	"syscall"
)

// macOS and FreeBSD do not give the sender's pid with a datagram the way
// SO_PASSCRED does (LOCAL_PEERCRED is for connected stream sockets;
// FreeBSD's SCM_CREDS carries no pid before LOCAL_CREDS_PERSISTENT, and no
// CI here could run it): ready=notify is Linux's, a service that asks for
// it elsewhere fails to start, saying so (REFERENCE §2.9, §11).

// Supported says whether the notify socket works on this system.
const Supported = false

// ErrUnsupported is Listen's error where Supported is false.
var ErrUnsupported = errors.New("ready=notify is not supported on this system: the sender's pid of a datagram (SO_PASSCRED) is Linux's")

// credSpace: no credentials come with a datagram.
const credSpace = 0

// passCred fails: see ErrUnsupported.
func passCred(fd int) error { return ErrUnsupported }

// credOf: no control message holds credentials.
func credOf(m *syscall.SocketControlMessage) (pid, uid int, ok bool) { return 0, 0, false }

// pidfdOf: no pidfd comes with a datagram.
func pidfdOf(m *syscall.SocketControlMessage) (int, bool) { return -1, false }

// alive: never called without a pidfd.
func alive(pidfd int) bool { return true }
