package actors

import "golang.org/x/sys/unix"

// peerPid is the pid of the peer of a connected UNIX socket
// (LOCAL_PEERPID), 0 when unknown.
func peerPid(fd int) int32 {
	pid, err := unix.GetsockoptInt(fd, unix.SOL_LOCAL, unix.LOCAL_PEERPID)
	if err != nil {
		return 0
	}
	return int32(pid)
}
