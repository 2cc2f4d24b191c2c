package daemon

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/cfk/cfk/upgrade"
	"golang.org/x/sys/unix"
)

// The new cfkd of an upgrade in place checks every fd the state names
// before it uses any (REFERENCE §13.3): each must have crossed the exec
// (open, and not close-on-exec: the former cfkd cleared it on exactly
// those, every fd this cfkd opened itself, the Go runtime's epoll
// included, has it) and be what the state says. A state that fails is
// refused before anything is opened, adopted or closed.

// fdKind is what an fd named by the state must be.
type fdKind int

const (
	fdLock      fdKind = iota // a regular file: home/lock
	fdListener                // a listening stream socket
	fdDgram                   // a datagram socket (the notify socket)
	fdPipeRead                // a pipe's read end
	fdPipeWrite               // a pipe's write end
)

// namedFd is one fd of the state and what it is said to be.
type namedFd struct {
	fd   int
	kind fdKind
	what string
}

// namedFds lists every fd of st (upgrade.State.Fds) with what it is.
func namedFds(st *upgrade.State) []namedFd {
	fds := []namedFd{{st.Lock, fdLock, "the lock"}}
	if st.Admin != nil {
		fds = append(fds, namedFd{st.Admin.Fd, fdListener, "the admin listener"})
	}
	if st.HTTP != nil {
		fds = append(fds, namedFd{st.HTTP.Fd, fdListener, "the --http listener"})
	}
	if st.Notify != nil {
		fds = append(fds, namedFd{st.Notify.Fd, fdDgram, "the notify socket"})
	}
	if st.NotifyShared != nil {
		fds = append(fds, namedFd{st.NotifyShared.Fd, fdDgram, "the shared notify socket"})
	}
	for _, k := range st.Sockets {
		if k.Fd >= 0 {
			fds = append(fds, namedFd{k.Fd, fdListener, fmt.Sprintf("socket '%s'", k.Config.Name)})
		}
	}
	for _, p := range st.Pipes {
		fds = append(fds, namedFd{p.Fd, fdPipeRead, fmt.Sprintf("the %s pipe of pid %d", p.Stream, p.Pid)})
	}
	for _, p := range st.Proxies {
		for _, x := range []struct {
			fd   int
			kind fdKind
			name string
		}{{p.CmdFd, fdPipeWrite, "command"}, {p.StatusFd, fdPipeRead, "status"}, {p.LogFd, fdPipeRead, "log"}} {
			if x.fd >= 0 {
				fds = append(fds, namedFd{x.fd, x.kind, fmt.Sprintf("the %s pipe of proxy '%s'", x.name, p.Config.Name)})
			}
		}
	}
	return fds
}

// verifyFds checks every fd st names (verifyFd), the lock against
// home/lock. It only looks: it closes nothing.
func verifyFds(st *upgrade.State, lockPath string) error {
	for _, n := range namedFds(st) {
		if err := verifyFd(n, lockPath); err != nil {
			return fmt.Errorf("upgrade state: fd %d (%s): %w", n.fd, n.what, err)
		}
	}
	return nil
}

// verifyFd checks that n.fd crossed the exec and is what n says.
func verifyFd(n namedFd, lockPath string) error {
	flags, err := unix.FcntlInt(uintptr(n.fd), unix.F_GETFD, 0)
	if errors.Is(err, unix.EBADF) {
		return errors.New("not open")
	}
	if err != nil {
		return err
	}
	if flags&unix.FD_CLOEXEC != 0 {
		return errors.New("did not cross the exec (close-on-exec: this cfkd opened it itself)")
	}
	var st unix.Stat_t
	if err := unix.Fstat(n.fd, &st); err != nil {
		return err
	}
	format := uint32(st.Mode) & unix.S_IFMT
	switch n.kind {
	case fdLock:
		if format != unix.S_IFREG {
			return fmt.Errorf("not a regular file (%s)", formatName(format))
		}
		return sameFile(n.fd, lockPath)
	case fdListener, fdDgram:
		if format != unix.S_IFSOCK {
			return fmt.Errorf("not a socket (%s)", formatName(format))
		}
		typ, err := unix.GetsockoptInt(n.fd, unix.SOL_SOCKET, unix.SO_TYPE)
		if err != nil {
			return err
		}
		if n.kind == fdDgram {
			if typ != unix.SOCK_DGRAM {
				return fmt.Errorf("not a datagram socket (type %d)", typ)
			}
			return nil
		}
		if typ != unix.SOCK_STREAM {
			return fmt.Errorf("not a stream socket (type %d)", typ)
		}
		acc, err := unix.GetsockoptInt(n.fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN)
		if errors.Is(err, unix.ENOPROTOOPT) {
			return nil // a kernel that does not say (macOS): a stream socket will do
		}
		if err != nil {
			return err
		}
		if acc == 0 {
			return errors.New("a socket that does not listen")
		}
	case fdPipeRead, fdPipeWrite:
		if format != unix.S_IFIFO {
			return fmt.Errorf("not a pipe (%s)", formatName(format))
		}
		fl, err := unix.FcntlInt(uintptr(n.fd), unix.F_GETFL, 0)
		if err != nil {
			return err
		}
		// refused: the other end of a one-way pipe (FreeBSD's pipes are
		// two-way: both ends O_RDWR)
		wrong, end := unix.O_WRONLY, "read"
		if n.kind == fdPipeWrite {
			wrong, end = unix.O_RDONLY, "write"
		}
		if fl&unix.O_ACCMODE == wrong {
			return fmt.Errorf("not the %s end of a pipe", end)
		}
	}
	return nil
}

// sameFile checks that fd is the file at path: the same device and
// inode.
func sameFile(fd int, path string) error {
	var st, want unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	if err := unix.Stat(path, &want); err != nil {
		return fmt.Errorf("cannot compare it with %s: %w", path, err)
	}
	if st.Dev != want.Dev || st.Ino != want.Ino {
		return fmt.Errorf("not %s (another file)", path)
	}
	return nil
}

// formatName names a file format (st_mode & S_IFMT).
func formatName(format uint32) string {
	switch format {
	case unix.S_IFREG:
		return "a regular file"
	case unix.S_IFDIR:
		return "a directory"
	case unix.S_IFCHR:
		return "a character device"
	case unix.S_IFBLK:
		return "a block device"
	case unix.S_IFIFO:
		return "a pipe"
	case unix.S_IFSOCK:
		return "a socket"
	case unix.S_IFLNK:
		return "a symbolic link"
	}
	return "an anonymous inode or unknown kind"
}

// homeLock is the lock file of home.
func homeLock(home string) string { return filepath.Join(home, "lock") }
