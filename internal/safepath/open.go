package safepath

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// NotOwned says why OpenOwned refused a file.
type NotOwned struct {
	Owner   uint32
	Regular bool
}

func (n *NotOwned) Error() string {
	if !n.Regular {
		return "not a regular file"
	}
	return fmt.Sprintf("a file of uid %d", n.Owner)
}

// OpenOwned opens path for reading only if it is a regular file that uid
// owns: what a user may read and change anyway. Where the system allows
// (Linux's O_PATH), nothing else is opened on the way: not a device
// whose open does something (a watchdog), nor a FIFO that would block.
func OpenOwned(path string, uid int) (*os.File, error) {
	if f, err, done := openOwnedPath(path, uid); done {
		return f, err
	}
	// elsewhere: looked at first, then opened without blocking, and the
	// file opened looked at again
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := owned(st, uid); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	if st, err = f.Stat(); err == nil {
		err = owned(st, uid)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func owned(st fs.FileInfo, uid int) error {
	owner := Owner(st)
	if !st.Mode().IsRegular() || int(owner) != uid {
		return &NotOwned{Owner: owner, Regular: st.Mode().IsRegular()}
	}
	return nil
}
