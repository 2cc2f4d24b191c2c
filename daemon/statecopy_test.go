package daemon

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestReadStateAdoptsTheCopy: the new cfkd of an upgrade in place reads
// the state the former cfkd wrote, from the copy it passed across the
// exec, whatever HOME/upgrade.state says by then (REFERENCE §13.2); a
// file still as written stands in for a copy that cannot be read; one
// that is neither is refused, with no state to roll back with.
func TestReadStateAdoptsTheCopy(t *testing.T) {
	wrote := []byte(`{"version":7,"services":[{"config":{"Name":"b"}}]}`)
	doctored := []byte(`{"version":7,"services":[]}`)
	copies := map[string]func(home string) *os.File{
		"copy": func(home string) *os.File {
			f, v, err := stateCopy(home, wrote, 0) // a first exec: EXECS 1
			if err != nil {
				t.Fatal(err)
			}
			if want := stateFdEnv + "=" + strconv.Itoa(int(f.Fd())) + ":" + digest(wrote) + ":1"; v != want {
				t.Fatalf("%q, want %q", v, want)
			}
			return f
		},
		"unlinked": func(home string) *os.File {
			f, err := unlinkedState(home, wrote)
			if err != nil {
				t.Fatal(err)
			}
			return f
		},
	}
	for name, mk := range copies {
		t.Run(name, func(t *testing.T) {
			home := t.TempDir()
			file := filepath.Join(home, "upgrade.state")
			f := mk(home)
			defer f.Close()
			if left, _ := filepath.Glob(filepath.Join(home, "*")); len(left) != 0 {
				t.Fatalf("the copy is reached by a path: %q", left)
			}
			if err := os.WriteFile(file, doctored, 0o600); err != nil {
				t.Fatal(err)
			}
			// readState closes the fd it is given: a dup, as the exec's
			t.Setenv(stateFdEnv, dupFd(t, f)+":"+digest(wrote))
			raw, changed, err := readState(file, 1)
			if err != nil || !changed || !bytes.Equal(raw, wrote) {
				t.Fatalf("readState: %q changed=%v %v, want what the former cfkd wrote, changed", raw, changed, err)
			}
			if _, ok := os.LookupEnv(stateFdEnv); ok {
				t.Errorf("%s still set: a service would inherit it", stateFdEnv)
			}
			if _, err := os.Stat(file); !os.IsNotExist(err) {
				t.Errorf("%s left: %v", file, err)
			}
		})
	}

	home := t.TempDir()
	file := filepath.Join(home, "upgrade.state")
	write := func(b []byte) {
		if err := os.WriteFile(file, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// the copy's fd is not the copy (/dev/null): the file, as written
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	write(wrote)
	t.Setenv(stateFdEnv, dupFd(t, null)+":"+digest(wrote))
	if raw, changed, err := readState(file, 1); err != nil || changed || !bytes.Equal(raw, wrote) {
		t.Errorf("no copy, the file as written: %q changed=%v %v", raw, changed, err)
	}
	// neither: refused
	write(doctored)
	t.Setenv(stateFdEnv, dupFd(t, null)+":"+digest(wrote))
	raw, _, err := readState(file, 1)
	if err == nil || raw != nil || !strings.Contains(err.Error(), "changed after the former cfkd wrote it") ||
		!strings.Contains(err.Error(), "is the state the former cfkd wrote") {
		t.Errorf("neither the file nor the copy: %q %v, want refused", raw, err)
	}
	// a former cfkd that passes no copy: the file
	write(doctored)
	os.Unsetenv(stateFdEnv)
	if raw, changed, err := readState(file, 1); err != nil || changed || !bytes.Equal(raw, doctored) {
		t.Errorf("no copy passed: %q changed=%v %v", raw, changed, err)
	}
}

// TestStateCopyChangedIsRefused: a copy whose bytes are not those of the
// SHA-256 passed with it is not adopted.
func TestStateCopyChangedIsRefused(t *testing.T) {
	home := t.TempDir()
	f, err := unlinkedState(home, []byte("what was written"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt([]byte("WHAT"), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := readCopy(dupFd(t, f), digest([]byte("what was written"))); err == nil || !strings.Contains(err.Error(), "SHA-256") {
		t.Fatalf("a changed copy: %v, want refused", err)
	}
}

// dupFd is a dup of f's fd, for readCopy, which closes it.
func dupFd(t *testing.T, f *os.File) string {
	t.Helper()
	fd, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, 3)
	if err != nil {
		t.Fatal(err)
	}
	return strconv.Itoa(fd)
}

// TestReadStateIgnoresAStaleCopy: a copy named by a cfkd some execs ago
// is not this exec's, and its fd is not touched: a cfkd older than the
// copy, to which this one was downgraded, kept stateFdEnv in its
// environment and passed it on at its own upgrade, naming an fd that
// was anything by then (closed at its exec, or reused for a service's
// pipe that crosses): the new cfkd closed it, refused the state it was
// given ('neither ... nor its copy'), and stopped, the services left
// without a supervisor.
func TestReadStateIgnoresAStaleCopy(t *testing.T) {
	file := filepath.Join(t.TempDir(), "upgrade.state")
	wrote := []byte(`{"version":7,"services":[{"config":{"Name":"b"}}]}`)
	if err := os.WriteFile(file, wrote, 0o600); err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe() // a service's pipe, say, that crosses the exec
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	fd, err := unix.FcntlInt(r.Fd(), unix.F_DUPFD, 3) // not close-on-exec: it crosses
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	t.Setenv(stateFdEnv, strconv.Itoa(fd)+":"+digest([]byte("the state of an exec long ago"))+":2")
	raw, changed, err := readState(file, 4)
	if err != nil || changed || !bytes.Equal(raw, wrote) {
		t.Fatalf("readState: %q changed=%v %v, want the file as written", raw, changed, err)
	}
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	if err != nil || flags&unix.FD_CLOEXEC != 0 {
		t.Fatalf("fd %d: flags %#x, %v: want it open, not close-on-exec", fd, flags, err)
	}
}
