package daemon

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// lock is the home's lock file: an flock held for cfkd's lifetime, with
// cfkd's pid inside. The kernel releases the flock when its holder dies,
// so a lock left by a killed cfkd is simply taken over.
type lock struct {
	path string
	f    *os.File
}

// takeLock locks path or says which cfkd holds it. stale is the pid found
// in a lock file whose holder is gone (0 if none).
//
// A cfkd that exits removes the file, then unlocks it: one that opened the
// file just before gets the flock of a file no longer at path, while the
// next creates a new one there and locks that too. So the flock counts
// only on the file still at path; else it opens path again.
func takeLock(path string) (l *lock, stale int, err error) {
	for range 100 {
		l, stale, err = takeLockOnce(path)
		if !errors.Is(err, errLockMoved) {
			return l, stale, err
		}
	}
	return nil, 0, fmt.Errorf("cannot lock %s: it is removed and created again, over and over", path)
}

var errLockMoved = errors.New("the lock file was removed")

func takeLockOnce(path string) (l *lock, stale int, err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, 0, fmt.Errorf("cannot open lock file: %w", err)
	}
	old := readPid(f)
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, 0, fmt.Errorf("cannot lock %s: cfkd running as pid:%d?", path, old)
		}
		return nil, 0, fmt.Errorf("cannot lock %s: %w", path, err)
	}
	if sameFile(int(f.Fd()), path) != nil {
		f.Close()
		return nil, 0, errLockMoved
	}
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("cannot write lock file %s: %w", path, err)
	}
	return &lock{path: path, f: f}, old, nil
}

func readPid(f *os.File) int {
	b := make([]byte, 32)
	n, _ := f.ReadAt(b, 0)
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b[:n])))
	return pid
}

// release removes the lock file, then unlocks it. A path that no longer
// names the file locked (the home was moved or removed, and another cfkd
// locked a file of its own there) is left to its owner (REFERENCE §7.2).
func (l *lock) release() {
	if sameFile(int(l.f.Fd()), l.path) == nil {
		os.Remove(l.path)
	}
	l.f.Close()
}
