package safepath

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Check follows the path as the kernel does and finds who may change it:
// a directory of another user's, one anyone may write without the sticky
// bit, another user's entry in a sticky one, another user's symlink, also
// one met through a symlink or after a "..".
func TestCheck(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: files of another user's")
	}
	const nobody = 65534
	top := t.TempDir()
	if err := os.Chmod(top, 0o755); err != nil {
		t.Fatal(err)
	}
	mk := func(p string, mode os.FileMode, uid int) string {
		t.Helper()
		if err := os.Mkdir(p, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(p, uid, uid); err != nil {
			t.Fatal(err)
		}
		return p
	}
	link := func(target, p string, uid int) string {
		t.Helper()
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		if err := os.Lchown(p, uid, uid); err != nil {
			t.Fatal(err)
		}
		return p
	}
	file := func(p string, uid int) string {
		t.Helper()
		if err := os.WriteFile(p, []byte("A=1\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(p, uid, uid); err != nil {
			t.Fatal(err)
		}
		return p
	}
	safe := mk(filepath.Join(top, "safe"), 0o755, 0)
	theirs := mk(filepath.Join(top, "theirs"), 0o755, nobody)
	open := mk(filepath.Join(top, "open"), 0o777, 0)
	sticky := mk(filepath.Join(top, "sticky"), 0o777|os.ModeSticky, 0)
	rootGroup := mk(filepath.Join(top, "root-group"), 0o775, 0)   // g+w, group root: safe, as for logrotate
	theirGroup := mk(filepath.Join(top, "their-group"), 0o775, 0) // g+w, group nobody's (Ubuntu's /var/log, group syslog)
	if err := os.Chown(theirGroup, 0, nobody); err != nil {
		t.Fatal(err)
	}
	file(filepath.Join(safe, "a.env"), 0)
	file(filepath.Join(rootGroup, "x.env"), 0)
	file(filepath.Join(theirGroup, "x.env"), 0)
	file(filepath.Join(safe, "theirs.env"), nobody) // theirs, in a directory they cannot change
	file(filepath.Join(sticky, "root.env"), 0)
	file(filepath.Join(sticky, "nobody.env"), nobody)
	link(safe, filepath.Join(top, "rootlink"), 0)
	link(safe, filepath.Join(top, "theirlink"), nobody)
	link(theirs, filepath.Join(safe, "to-theirs"), 0)
	link("../safe/a.env", filepath.Join(safe, "rel"), 0)
	link("loop", filepath.Join(safe, "loop"), 0)

	cases := []struct{ path, want string }{
		{filepath.Join(safe, "a.env"), ""},
		{filepath.Join(safe, "theirs.env"), ""},
		{filepath.Join(sticky, "root.env"), ""},
		{filepath.Join(top, "rootlink", "a.env"), ""},
		{filepath.Join(safe, "rel"), ""},
		{filepath.Join(rootGroup, "x.env"), ""},
		{filepath.Join(theirGroup, "x.env"), theirGroup + " is writable by the members of group 65534 (mode 0775, no sticky bit)"},
		{theirs + "/../safe/a.env", theirs + " is owned by uid 65534"}, // as the kernel goes: through theirs
		{filepath.Join(theirs, "x.env"), theirs + " is owned by uid 65534"},
		{filepath.Join(open, "x.env"), open + " is writable by others (mode 0777, no sticky bit)"},
		{filepath.Join(sticky, "nobody.env"), "nobody.env is owned by uid 65534, in a directory others may write"},
		{filepath.Join(top, "theirlink", "a.env"), "theirlink is a symlink of uid 65534"},
		{filepath.Join(safe, "to-theirs", "x.env"), theirs + " is owned by uid 65534"},
	}
	for _, c := range cases {
		err := Check(c.path, 0)
		var u *Unsafe
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v, want it safe", c.path, err)
		case c.want != "" && (!errors.As(err, &u) || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %v, want Unsafe with %q", c.path, err, c.want)
		}
	}
	if err := Check(filepath.Join(safe, "loop"), 0); err == nil || errors.As(err, new(*Unsafe)) {
		t.Errorf("a symlink loop: %v", err)
	}
	if err := Check(filepath.Join(safe, "missing"), 0); err == nil || errors.As(err, new(*Unsafe)) {
		t.Errorf("a missing file: %v", err)
	}
	// a file to create: missing is safe where its directory is
	if err := CheckCreate(filepath.Join(safe, "missing"), 0); err != nil {
		t.Errorf("a file to create in a safe directory: %v", err)
	}
	if err := CheckCreate(filepath.Join(theirs, "missing"), 0); !errors.As(err, new(*Unsafe)) {
		t.Errorf("a file to create in a directory of nobody's: %v", err)
	}
	if err := CheckCreate(filepath.Join(safe, "gone", "missing"), 0); err == nil || errors.As(err, new(*Unsafe)) {
		t.Errorf("a file to create in a missing directory: %v", err)
	}
}
