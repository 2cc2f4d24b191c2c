package actors

import (
	"net"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// answer closes the spare, accepts the waiting client on its number,
// answers it `ERROR: why`, drops what it sent and makes its number the spare
// again at once, with dup3 of the listener over it: closed first, a
// start's pipe (they are retried every second while fds are short)
// would take it before the spare was reopened, and the next client
// would wait in the backlog again. All raw, in ln's Control: nothing
// waits (the socket does not block; a fresh one has room for the line).
func (s *acceptSpare) answer(ln net.Listener, why error) {
	msg := []byte("ERROR: " + why.Error() + "\r\n")
	sc, ok := ln.(syscall.Conn)
	if !ok {
		return
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return
	}
	rc.Control(func(lf uintptr) {
		s.f.Close()
		s.f = nil
		fd, _, err := unix.Accept4(int(lf), unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK)
		if err != nil {
			return
		}
		unix.Write(fd, msg)
		unix.Shutdown(fd, unix.SHUT_WR)
		buf := make([]byte, 4096)
		for range 64 { // a close with unread input resets; a flood is not waited out
			if n, _ := unix.Read(fd, buf); n <= 0 {
				break
			}
		}
		if unix.Dup3(int(lf), fd, unix.O_CLOEXEC) != nil {
			unix.Close(fd)
			return
		}
		s.f = os.NewFile(uintptr(fd), "spare")
	})
}
