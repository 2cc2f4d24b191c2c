package sockets

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// DirMode is the mode of a directory that the bind of a UNIX socket makes
// (REFERENCE §3), as systemd's DirectoryMode= default.
const DirMode = 0o755

// mkdirParents makes the missing directories of dir, the directory of a
// UNIX socket's path, as systemd does for a ListenStream= path: mode
// DirMode whatever cfkd's umask, owned by cfkd's user. A directory that
// exists is left as it is. Each one is made and opened through its
// parent's fd, O_NOFOLLOW: no directory made is replaced by a symlink on
// the way down; a symlink found where a directory was missing (made
// meanwhile) is followed only if cfkd's user owns it. An error is one
// mkdir's, naming its path; one dir's stat gives, other than ENOENT, is
// left to the bind to say.
func mkdirParents(dir string) error {
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		return nil
	}
	var missing []string // from dir up
	base := dir
	for {
		missing = append(missing, filepath.Base(base))
		parent := filepath.Dir(base)
		if parent == base {
			return nil // "/" missing: left to the bind
		}
		base = parent
		if _, err := os.Stat(base); !errors.Is(err, os.ErrNotExist) {
			break
		}
	}
	fd, err := unix.Open(base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "mkdir", Path: base, Err: err}
	}
	path := base
	for i := len(missing) - 1; i >= 0; i-- {
		name := missing[i]
		path = filepath.Join(path, name)
		next, err := mkdirAt(fd, name, path)
		unix.Close(fd)
		if err != nil {
			return err
		}
		fd = next
	}
	unix.Close(fd)
	return nil
}

// mkdirAt makes directory name in the directory dirfd (at path), and
// opens it. One made meanwhile by another is opened as it is, a symlink
// only if cfkd's user owns it.
func mkdirAt(dirfd int, name, path string) (int, error) {
	made := true
	if err := unix.Mkdirat(dirfd, name, DirMode); err != nil {
		if !errors.Is(err, unix.EEXIST) {
			return -1, &os.PathError{Op: "mkdir", Path: path, Err: err}
		}
		made = false
	}
	const flags = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_CLOEXEC
	fd, err := unix.Openat(dirfd, name, flags|unix.O_NOFOLLOW, 0)
	var st unix.Stat_t
	if err != nil && !made && unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && st.Mode&unix.S_IFMT == unix.S_IFLNK {
		if int(st.Uid) != os.Geteuid() {
			return -1, fmt.Errorf("mkdir %s: a symlink of uid %d, which cfkd does not follow", path, st.Uid)
		}
		fd, err = unix.Openat(dirfd, name, flags, 0)
	}
	if err != nil {
		return -1, &os.PathError{Op: "mkdir", Path: path, Err: err}
	}
	if made {
		// its mode whatever the umask (an existing one is left as it is)
		if err := unix.Fchmod(fd, DirMode); err != nil {
			unix.Close(fd)
			return -1, &os.PathError{Op: "chmod", Path: path, Err: err}
		}
	}
	return fd, nil
}
