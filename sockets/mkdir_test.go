package sockets

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/cfk/cfk/internal/testkit"
	"github.com/cfk/cfk/messages"
	"golang.org/x/sys/unix"
)

// The bind of a UNIX socket whose directory is missing failed (`bind
// PATH: no such file or directory`), where systemd makes the missing
// directories of a ListenStream= path. cfkd makes them now (REFERENCE
// §1.2, §3): mode 0755 whatever its umask, its user's; a directory that
// exists keeps its mode.
func TestUnixMissingDirectoriesAreMade(t *testing.T) {
	dir := shortDir(t)
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	old := syscall.Umask(0o077) // the mode is 0755 all the same
	t.Cleanup(func() { syscall.Umask(old) })
	path := filepath.Join(dir, "a", "b", "u.sock")
	l := mustBind(t, messages.SocketConfig{Name: "u", Host: "unix/", Service: path})
	syscall.Umask(old)
	for _, d := range []string{filepath.Join(dir, "a"), filepath.Join(dir, "a", "b")} {
		st, err := os.Lstat(d)
		if err != nil {
			t.Fatal(err)
		}
		if !st.IsDir() || st.Mode().Perm() != 0o755 || int(st.Sys().(*syscall.Stat_t).Uid) != os.Geteuid() {
			t.Fatalf("%s: %v uid %d, want a directory of mode 0755 and uid %d", d, st.Mode(), st.Sys().(*syscall.Stat_t).Uid, os.Geteuid())
		}
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("the existing directory: %v %v, want its mode 0700 kept", st.Mode(), err)
	}
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()

	// a missing directory under an existing one: only it is made
	if err := os.Chmod(filepath.Join(dir, "a"), 0o711); err != nil {
		t.Fatal(err)
	}
	mustBind(t, messages.SocketConfig{Name: "v", Host: "unix/", Service: filepath.Join(dir, "a", "c", "v.sock")})
	if st, err := os.Stat(filepath.Join(dir, "a")); err != nil || st.Mode().Perm() != 0o711 {
		t.Fatalf("%s/a: %v %v, want its mode 0711 kept", dir, st.Mode(), err)
	}
	l.Close()
	if _, err := os.Stat(filepath.Join(dir, "a", "b")); err != nil {
		t.Fatalf("the directory made is left at the close, as systemd leaves it: %v", err)
	}
}

// A symlink found where a directory was missing (another user's, made
// between cfkd's look and its mkdir) is not followed: only cfkd's
// user's is.
func TestUnixMkdirFollowsNoOtherUsersSymlink(t *testing.T) {
	testkit.RequireRoot(t)
	dir := shortDir(t)
	target := filepath.Join(dir, "target")
	if err := os.Mkdir(target, 0o700); err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	theirs, mine := filepath.Join(dir, "theirs"), filepath.Join(dir, "mine")
	for _, l := range []string{theirs, mine} {
		if err := os.Symlink(target, l); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Lchown(theirs, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	_, err = mkdirAt(fd, "theirs", theirs)
	if want := "mkdir " + theirs + ": a symlink of uid 65534, which cfkd does not follow"; err == nil || err.Error() != want {
		t.Fatalf("mkdir on another user's symlink: %v, want %s", err, want)
	}
	got, err := mkdirAt(fd, "mine", mine)
	if err != nil {
		t.Fatalf("mkdir on cfkd's own symlink: %v", err)
	}
	unix.Close(got)
	if st, err := os.Stat(target); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("the directory the symlinks name: %v %v, want its mode 0700 kept", st.Mode(), err)
	}
}

// A directory cfkd may not write fails the bind with mkdir's error,
// naming the directory.
func TestUnixMkdirErrorNamesTheDirectory(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes any directory")
	}
	dir := shortDir(t)
	ro := filepath.Join(dir, "ro")
	if err := os.Mkdir(ro, 0o500); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(ro, "x", "u.sock")
	_, err := bindCfg(t, messages.SocketConfig{Name: "u", Host: "unix/", Service: path})
	if want := "mkdir " + filepath.Join(ro, "x") + ": permission denied"; err == nil || err.Error() != want || !errors.Is(err, syscall.EACCES) {
		t.Fatalf("bind under a read-only directory: %v, want %q", err, want)
	}
}
