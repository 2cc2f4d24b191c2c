package notify

import (
	"encoding/binary"
	"errors"
	"syscall"

	"golang.org/x/sys/unix"
)

// Linux gives the sender's pid with every datagram once SO_PASSCRED is
// set (SCM_CREDENTIALS), checked by the kernel: readiness by notify works
// here only (REFERENCE §2.9, §11).

// Supported says whether the notify socket works on this system.
const Supported = true

// ErrUnsupported is Listen's error where Supported is false.
var ErrUnsupported = errors.New("ready=notify is not supported on this system")

// credSpace is the room the sender's credentials take in a datagram's
// control data, and its pidfd (SCM_PIDFD).
var credSpace = syscall.CmsgSpace(syscall.SizeofUcred) + syscall.CmsgSpace(4)

// SO_PASSPIDFD and SCM_PIDFD, Linux 6.5: a pidfd of the sender with each
// datagram, the process the kernel says sent it (the pid of its
// credentials), whoever has that pid by the time it is read.
const (
	soPassPidfd = 76
	scmPidfd    = 4
)

// passCred asks the kernel for the sender's credentials with each
// datagram, and its pidfd where the kernel gives one (6.5); an older one
// refuses the option: then a sender's pid reused since its datagram is
// not told apart (senderGone).
func passCred(fd int) error {
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_PASSCRED, 1); err != nil {
		return err
	}
	syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, soPassPidfd, 1)
	return nil
}

// pidfdOf is the sender's pidfd in m (SCM_PIDFD), now open in cfkd.
func pidfdOf(m *syscall.SocketControlMessage) (int, bool) {
	if m.Header.Type != scmPidfd || len(m.Data) < 4 {
		return -1, false
	}
	return int(int32(binary.NativeEndian.Uint32(m.Data))), true
}

// alive says whether the process of pidfd has not been reaped yet (a
// zombie is alive: its pid is still its own). EPERM: it is there, of a
// user cfkd may not signal.
func alive(pidfd int) bool {
	err := unix.PidfdSendSignal(pidfd, 0, nil, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
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
