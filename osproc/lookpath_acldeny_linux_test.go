package osproc

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// aclEnt is one entry of a POSIX ACL (tag, perm, id) for setACL.
type aclEnt struct {
	tag, perm uint16
	id        uint32
}

// setACL sets the access ACL of p to ents (the xattr's version 2 form,
// as setfacl writes it); ids of the object entries are ^0.
func setACL(p string, ents ...aclEnt) error {
	acl := binary.LittleEndian.AppendUint32(nil, 2)
	for _, e := range ents {
		acl = binary.LittleEndian.AppendUint16(acl, e.tag)
		acl = binary.LittleEndian.AppendUint16(acl, e.perm)
		acl = binary.LittleEndian.AppendUint32(acl, e.id)
	}
	return syscall.Setxattr(p, "system.posix_acl_access", acl, 0)
}

// denyACL is `setfacl -m u:UID:r--` on a file of mode 0755: the mode
// bits let every user execute it, the ACL does not let uid.
func denyACL(p string, uid uint32) error {
	return setACL(p, aclEnt{aclUserObj, 7, ^uint32(0)}, aclEnt{aclUser, 4, uid},
		aclEnt{aclGroupObj, 5, ^uint32(0)}, aclEnt{aclMask, 5, ^uint32(0)}, aclEnt{aclOther, 5, ^uint32(0)})
}

// TestCheckProgramAnACLDenies: a POSIX ACL that denies a user what the
// mode bits allow (setfacl -m u:svc:r-- on a program of mode 0755) makes
// the kernel refuse that user's execve (EACCES); the check by the mode
// bits passed it, so a restart stopped the running service and could
// not start it again. The ACL is now read as the kernel reads it, for
// the program, its interpreter, each directory above them and the cwd:
// the restart is refused, the process kept (REFERENCE §1.4, §2.4).
func TestCheckProgramAnACLDenies(t *testing.T) {
	top, denied, prog, cred := progForUID(t, "denied")
	if err := denyACL(prog, uid); err != nil {
		t.Skipf("no POSIX ACL here: %v", err)
	}
	// the kernel's word: that user's exec of it is refused (sh: 126)
	if ws := start(t, Spec{Argv: sh("exec " + prog), Credential: cred, Env: []string{"PATH=/usr/bin:/bin"}}).wait(t); ws.ExitStatus() != 126 {
		t.Fatalf("exec of %s as uid %d: %v, want 126 (permission denied)", prog, uid, ws)
	}
	script := writeMode(t, filepath.Join(top, "app"), "#!"+prog+"\n", 0o755)
	sdir := filepath.Join(top, "sdir") // a directory the ACL shuts: u:UID:r--
	if err := os.Mkdir(sdir, 0o755); err != nil {
		t.Fatal(err)
	}
	inDir := writeMode(t, filepath.Join(sdir, "prog"), "#!/bin/sh\nexit 0\n", 0o755)
	if err := denyACL(sdir, uid); err != nil {
		t.Fatal(err)
	}
	pub := pubProg(t, top, "#!/bin/sh\nexit 0\n")
	var l Launcher
	for _, c := range []struct {
		what string
		spec Spec
		want string
	}{
		{"the program", Spec{Argv: []string{prog}}, "exec " + prog + ": permission denied"},
		{"its interpreter", Spec{Argv: []string{script}}, "exec " + script + `: its interpreter "` + prog + `": permission denied`},
		{"a directory above", Spec{Argv: []string{inDir}}, "exec " + inDir + ": permission denied"},
		{"in the PATH", Spec{Argv: []string{"prog"}, Env: []string{"PATH=" + denied + ":" + sdir}},
			"exec prog: " + prog + ": permission denied"},
		{"the cwd", Spec{Argv: []string{"/bin/sh"}, Dir: sdir}, "cwd " + sdir + ": permission denied"},
	} {
		c.spec.Credential = cred
		if c.spec.Env == nil {
			c.spec.Env = []string{"PATH=/usr/bin:/bin"}
		}
		if err := l.CheckProgram(c.spec); err == nil || err.Error() != c.want {
			t.Errorf("%s: CheckProgram = %v, want %s", c.what, err, c.want)
		}
		c.spec.Credential = nil // cfkd's own identity, root: no ACL stops it
		if err := l.CheckProgram(c.spec); err != nil {
			t.Errorf("%s as root: CheckProgram = %v, want none", c.what, err)
		}
	}
	// the next in the PATH that the user may execute is taken
	env := []string{"PATH=" + denied + ":" + sdir + ":" + pub}
	if got, _, err := lookPath("prog", env, "", cred); err != nil || got != filepath.Join(pub, "prog") {
		t.Errorf("lookPath = %q, %v; want %s", got, err, filepath.Join(pub, "prog"))
	}
}

// TestACLPermits: the access ACL read as the kernel's
// posix_acl_permission reads it.
func TestACLPermits(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	writeMode(t, p, "", 0o755)
	const owner, named, group, other = 1000, 1001, 2000, 3000
	if err := os.Chown(p, owner, group); err != nil {
		t.Skipf("chown: %v", err)
	}
	const none = ^uint32(0)
	if err := setACL(p, aclEnt{aclUserObj, 1, none}, aclEnt{aclUser, 7, named},
		aclEnt{aclGroupObj, 0, none}, aclEnt{aclGroup, 1, 2001}, aclEnt{aclGroup, 4, 2002},
		aclEnt{aclMask, 5, none}, aclEnt{aclOther, 1, none}); err != nil {
		t.Skipf("no POSIX ACL here: %v", err)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(p, &st); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what string
		cred syscall.Credential
		want uint32
		ok   bool
	}{
		{"the owner's entry, unmasked", syscall.Credential{Uid: owner, Gid: other}, 1, true},
		{"the owner's entry alone", syscall.Credential{Uid: owner, Gid: other}, 4, false},
		{"a named user, masked", syscall.Credential{Uid: named, Gid: other}, 5, true},
		{"a named user, masked out", syscall.Credential{Uid: named, Gid: other}, 2, false},
		{"the owning group: nothing, others not asked", syscall.Credential{Uid: other, Gid: group}, 1, false},
		{"a supplementary named group grants", syscall.Credential{Uid: other, Gid: group, Groups: []uint32{2001}}, 1, true},
		{"a named group without it", syscall.Credential{Uid: other, Gid: 2002}, 1, false},
		{"a named group with it", syscall.Credential{Uid: other, Gid: 2002}, 4, true},
		{"the others' entry", syscall.Credential{Uid: other, Gid: other}, 1, true},
		{"the others' entry alone", syscall.Credential{Uid: other, Gid: other}, 4, false},
	} {
		if ok, read := aclPermits(p, &st, &c.cred, c.want); !read || ok != c.ok {
			t.Errorf("%s: aclPermits(%o) = %v (read %v), want %v", c.what, c.want, ok, read, c.ok)
		}
	}
	if err := syscall.Removexattr(p, "system.posix_acl_access"); err != nil {
		t.Fatal(err)
	}
	if _, read := aclPermits(p, &st, &syscall.Credential{Uid: other}, 1); read {
		t.Error("no ACL: read, want the mode bits to decide")
	}
}

// progForUID makes TOP/NAME/prog, a script of mode 0755 (TOP from
// modeBitsDirs), and the credential of uid, the user it is checked for;
// the test is skipped unless it is root (it runs children as uid).
func progForUID(t *testing.T, name string) (top, dir, prog string, cred *syscall.Credential) {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("runs a child as another user: root only")
	}
	top, _ = modeBitsDirs(t, "unused")
	dir = filepath.Join(top, name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	prog = writeMode(t, filepath.Join(dir, "prog"), "#!/bin/sh\nexit 0\n", 0o755)
	return top, dir, prog, &syscall.Credential{Uid: uid, Gid: uid}
}
