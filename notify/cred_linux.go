package notify

import (
	"errors"
	"syscall"
)

// Linux gives the sender's pid with every datagram once SO_PASSCRED is
// set (SCM_CREDENTIALS), checked by the kernel: readiness by notify works
// here only (REFERENCE §2.9, §11).

// Supported says whether the notify socket works on this system.
const Supported = true

// ErrUnsupported is Listen's error where Supported is false.
var ErrUnsupported = errors.New("ready=notify is not supported on this system")

// credSpace is the room the sender's credentials take in a datagram's
// control data.
var credSpace = syscall.CmsgSpace(syscall.SizeofUcred)

// passCred asks the kernel for the sender's credentials with each datagram.
func passCred(fd int) error {
	return syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_PASSCRED, 1)
}

// credOf is the sender's pid and uid in m, when m holds its credentials.
func credOf(m *syscall.SocketControlMessage) (pid, uid int, ok bool) {
	if m.Header.Type != syscall.SCM_CREDENTIALS {
		return 0, 0, false
	}
	cred, err := syscall.ParseUnixCredentials(m)
	if err != nil {
		return 0, 0, false
	}
	return int(cred.Pid), int(cred.Uid), true
}
