package safepath

import (
	"io/fs"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// openOwnedPath opens path with O_PATH (no open of the file itself: no
// permission needed, no device's open), looks at what it got, and only
// then opens that file for reading through /proc/self/fd. done is false
// where /proc is not there to do so.
func openOwnedPath(path string, uid int) (f *os.File, err error, done bool) {
	fd, err := unix.Open(path, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}, true
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, &fs.PathError{Op: "stat", Path: path, Err: err}, true
	}
	if regular := st.Mode&unix.S_IFMT == unix.S_IFREG; !regular || int(st.Uid) != uid {
		return nil, &NotOwned{Owner: st.Uid, Regular: regular}, true
	}
	f, err = os.OpenFile("/proc/self/fd/"+strconv.Itoa(fd), os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, false
	}
	return f, nil, true
}
