package safepath

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// fakeAccounts makes the members of groups be read from passwd and group
// written in a temporary directory, until the test ends.
func fakeAccounts(t *testing.T, passwd, group string) {
	t.Helper()
	dir := t.TempDir()
	p, g := filepath.Join(dir, "passwd"), filepath.Join(dir, "group")
	if err := os.WriteFile(p, []byte(passwd), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(g, []byte(group), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(UseAccounts(p, g))
}

// A group is the trusted uid's alone when it has exactly one member, that
// uid: as primary group, in its member list, or both; not with no member,
// another one, a member the files do not have (a directory service's),
// nor while the files pull in NIS entries.
func TestGroupAlone(t *testing.T) {
	const passwd = "root:x:0:0::/root:/bin/sh\n" +
		"alice:x:1000:1000::/home/alice:/bin/sh\n" +
		"bob:x:1001:1001::/home/bob:/bin/sh\n" +
		"carol:x:1002:1000::/home/carol:/bin/sh\n" + // primary group alice's
		"toor:x:0:0::/root:/bin/sh\n"
	const group = "root:x:0:\n" +
		"alice:x:1000:\n" +
		"bob:x:1001:bob\n" +
		"dev:x:2000:alice,bob\n" +
		"solo:x:2001:alice\n" +
		"empty:x:2002:\n" +
		"ldap:x:2003:alice,dave\n" + // dave: a directory service's user
		"# a comment\n"
	cases := []struct {
		name          string
		passwd, group string
		gid           uint32
		uid           int
		want          bool
	}{
		{"private group", passwd, group, 1001, 1001, true},
		{"private group of another user", passwd, group, 1001, 1000, false},
		{"another user's primary group too", passwd, group, 1000, 1000, false},
		{"listed alone", passwd, group, 2001, 1000, true},
		{"listed with another", passwd, group, 2000, 1000, false},
		{"no member", passwd, group, 2002, 1000, false},
		{"a member the files do not have", passwd, group, 2003, 1000, false},
		{"not in the group file", passwd, group, 3000, 1000, false},
		{"primary, the only one", "alice:x:1000:1000::/:/bin/sh\n", "alice:x:1000:\n", 1000, 1000, true},
		{"NIS in passwd", passwd + "+::::::\n", group, 1001, 1001, false},
		{"NIS in group", passwd, group + "+:::\n", 1001, 1001, false},
		{"a line not read", passwd + "broken\n", group, 1001, 1001, false},
		{"two names of the uid", passwd, "r:x:3001:root,toor\n", 3001, 0, true},
	}
	for _, c := range cases {
		fakeAccounts(t, c.passwd, c.group)
		var m members
		if got := m.alone(c.gid, c.uid); got != c.want {
			t.Errorf("%s: group %d alone uid %d: %v, want %v", c.name, c.gid, c.uid, got, c.want)
		}
	}
	t.Cleanup(UseAccounts(filepath.Join(t.TempDir(), "missing"), filepath.Join(t.TempDir(), "missing")))
	var m members
	if m.alone(1001, 1001) {
		t.Error("with no account files: alone")
	}
}

// A file and a directory that the private group of the user who owns
// them may write (umask 002 on Ubuntu) are safe for that user; the same
// once the group has a second member (or none) are not, with the group
// named. As root, the user is a test uid; otherwise the one running.
func TestPrivateGroupMayWrite(t *testing.T) {
	uid, gid := os.Geteuid(), os.Getegid()
	if uid == 0 {
		uid, gid = 4242, 4242
	}
	if gid == 0 {
		t.Skip("the group of the user running is root's")
	}
	top := t.TempDir()
	if err := os.Chmod(top, 0o755); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(top, "dir")
	file := filepath.Join(dir, "app.conf")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte("service x cmd=true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for p, mode := range map[string]os.FileMode{dir: 0o775, file: 0o664} {
		if err := os.Chown(p, uid, gid); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	u, g := strconv.Itoa(uid), strconv.Itoa(gid)
	passwd := "root:x:0:0::/root:/bin/sh\nu:x:" + u + ":" + g + "::/:/bin/sh\nother:x:4243:4243::/:/bin/sh\n"

	fakeAccounts(t, passwd, "root:x:0:\nu:x:"+g+":\n")
	if err := CheckFile(file, uid, false); err != nil {
		t.Errorf("a file and its directory its user's private group may write: %v", err)
	}
	if err := CheckCreate(filepath.Join(dir, "new.log"), uid); err != nil {
		t.Errorf("a directory its user's private group may write: %v", err)
	}
	if err := CheckFile(file, 4243, false); err == nil {
		t.Error("checked for another user: safe")
	}

	for name, group := range map[string]string{
		"a second member": "root:x:0:\nu:x:" + g + ":other\n",
		"no member":       "root:x:0:\nu:x:" + g + ":\n",
	} {
		pw := passwd
		if name == "no member" {
			pw = "root:x:0:0::/root:/bin/sh\nu:x:" + u + ":4243::/:/bin/sh\n"
		}
		fakeAccounts(t, pw, group)
		var un *Unsafe
		err := CheckFile(file, uid, false)
		if !errors.As(err, &un) || !un.Group || un.Gid != uint32(gid) {
			t.Errorf("%s: the directory: %v, want it writable by the members of group %d", name, err, gid)
		}
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		err = CheckFile(file, uid, false)
		if !errors.As(err, &un) || !un.File || !un.Group || un.Gid != uint32(gid) {
			t.Errorf("%s: the file: %v, want it writable by the members of group %d", name, err, gid)
		}
		if err := os.Chmod(dir, 0o775); err != nil {
			t.Fatal(err)
		}
	}
}
