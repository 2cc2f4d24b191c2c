package daemon

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// The state of an upgrade in place crosses the exec twice (REFERENCE
// §13.2): in HOME/upgrade.state, which the variable upgrade.Env names (a
// cfkd that knows nothing else reads it there), and in a copy that no
// path reaches, open on an fd that crosses the exec, named with the
// SHA-256 of what the former cfkd wrote by stateFdEnv. The new cfkd
// adopts that copy: the file may have been rewritten or replaced between
// the former cfkd's write and the new cfkd's read (an editor, another
// tool, a second cfkd pointed at the home by mistake), and what it says
// then is not what the services are. The copy is a sealed memfd on Linux
// (nothing can change it), else an unlinked file in the home.

// stateFdEnv names the copy to the new cfkd: "FD:SHA256:EXECS", EXECS
// the value of execsEnv the same exec sets: a copy named with another
// is not this exec's (readState). "FD:SHA256" (a cfkd that wrote no
// EXECS) is taken as this exec's.
const stateFdEnv = "_CFKD_UPGRADE_STATE_FD"

// stateCopy makes the copy of the state document b, not close-on-exec,
// and stateFdEnv's entry naming it.
func stateCopy(home string, b []byte, execs int) (*os.File, string, error) {
	f, err := sealedState(b)
	if err != nil {
		f, err = unlinkedState(home, b)
	}
	if err == nil {
		if err = setInherit([]int{int(f.Fd())}, true); err != nil {
			f.Close()
		}
	}
	if err != nil {
		return nil, "", fmt.Errorf("upgrade state: its copy: %w", err)
	}
	return f, stateFdEnv + "=" + strconv.Itoa(int(f.Fd())) + ":" + digest(b) + ":" + strconv.Itoa(execs+1), nil
}

// unlinkedState is a file in home holding b, removed from the home once
// written: no path reaches it.
func unlinkedState(home string, b []byte) (*os.File, error) {
	f, err := os.CreateTemp(home, ".upgrade.state-")
	if err != nil {
		return nil, err
	}
	os.Remove(f.Name())
	if _, err := f.Write(b); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// readState is the state document the former cfkd wrote to file: the
// copy stateFdEnv names (which is unset, its fd closed), checked against
// its SHA-256; the file's bytes when the copy cannot be read but the file
// is still what the former cfkd wrote; the file's when no copy is named
// (a former cfkd that knows of none). changed says that the file is not
// what the former cfkd wrote (the copy is what is returned). The file is
// removed once read, whatever follows: it holds every declaration,
// add_env values included (REFERENCE §13.2). raw is nil when nothing the
// former cfkd wrote could be read: there is no state to roll back with.
//
// execs is this cfkd's count of execs (execsEnv): a copy named with
// another count was named for an earlier exec, and is no copy of this
// one's; its fd, which may be anything now, is not touched. A cfkd older
// than the copy, which this one was downgraded to, keeps stateFdEnv in
// its environment and passes it on at its own upgrade.
func readState(file string, execs int) (raw []byte, changed bool, err error) {
	named, passed := os.LookupEnv(stateFdEnv)
	os.Unsetenv(stateFdEnv)
	if f := strings.Split(named, ":"); passed && len(f) > 2 && f[2] != strconv.Itoa(execs) {
		passed = false // stale
	}
	fromFile, ferr := os.ReadFile(file)
	os.Remove(file)
	if !passed {
		if ferr != nil {
			return nil, false, fmt.Errorf("upgrade state: %w", ferr)
		}
		return fromFile, false, nil
	}
	n, want, _ := strings.Cut(named, ":")
	want, _, _ = strings.Cut(want, ":")
	copied, cerr := readCopy(n, want)
	switch {
	case cerr == nil:
		return copied, ferr != nil || !bytes.Equal(copied, fromFile), nil
	case ferr == nil && digest(fromFile) == want:
		return fromFile, false, nil
	case ferr != nil:
		return nil, true, fmt.Errorf("upgrade state: neither %s (%v) nor its copy (%v) is the state the former cfkd wrote", file, ferr, cerr)
	}
	return nil, true, fmt.Errorf("upgrade state: neither %s (changed after the former cfkd wrote it: its SHA-256 is %s, not %s) nor its copy (%v) is the state the former cfkd wrote", file, digest(fromFile), want, cerr)
}

// readCopy reads the copy open on fd n (closed once read) and checks that
// its SHA-256 is want.
func readCopy(n, want string) ([]byte, error) {
	fd, err := strconv.Atoi(n)
	if err != nil || fd <= 2 {
		return nil, fmt.Errorf("%s=%s: not an fd", stateFdEnv, n)
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC); err != nil {
		return nil, fmt.Errorf("fd %d: %w", fd, err)
	}
	f := os.NewFile(uintptr(fd), "upgrade.state copy")
	defer f.Close()
	b, err := io.ReadAll(io.NewSectionReader(f, 0, 1<<62))
	if err != nil {
		return nil, fmt.Errorf("fd %d: %w", fd, err)
	}
	if got := digest(b); got != want {
		return nil, fmt.Errorf("fd %d: its SHA-256 is %s, not %s", fd, got, want)
	}
	if len(b) == 0 {
		return nil, errors.New("fd " + n + ": empty")
	}
	return b, nil
}
