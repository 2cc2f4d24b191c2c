package osproc

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestLookPathTakesAFileAnACLGrants: a directory of the PATH that the
// service's user may search by an ACL alone (setfacl -m u:svc:rx
// /opt/tools, mode 0750) holds the program execvp(3) runs as that user.
// The PATH search, which reads the mode bits alone, passed over it for the
// next one (/usr/bin's), a program other than the one the child would
// have run, with no word said; the ACL is read as the kernel reads it
// now (aclPermits).
func TestLookPathTakesAFileAnACLGrants(t *testing.T) {
	top, priv := modeBitsDirs(t, "tools")
	const uid = 54321
	if err := setUserACL(priv, uid); err != nil {
		t.Skipf("no POSIX ACL here: %v", err)
	}
	granted := writeMode(t, filepath.Join(priv, "prog"), "#!/bin/sh\nexit 0\n", 0o755)
	pub := pubProg(t, top, "#!/bin/sh\nexit 0\n")
	cred := &syscall.Credential{Uid: uid, Gid: uid}
	// the kernel's word: that user runs the file in the ACL's directory
	// (the test's premise; the child is a script that exits at once)
	if os.Getuid() != 0 {
		t.Skip("runs a child as another user: root only")
	}
	// (through the package's launcher: its reaper takes every child, an
	// exec.Cmd's Wait would find none)
	if ws := start(t, Spec{Argv: []string{granted}, Credential: cred, Env: []string{"PATH=/usr/bin:/bin"}}).wait(t); ws.ExitStatus() != 0 {
		t.Fatalf("%s as uid %d: %v, want it run (the ACL grants it)", granted, uid, ws)
	}
	env := []string{"PATH=" + priv + ":" + pub}
	if got, _, err := lookPath("prog", env, "", cred); err != nil || got != granted {
		t.Errorf("lookPath = %q, %v; want %q, the one execvp(3) runs", got, err, granted)
	}
}

// setUserACL gives uid r-x on p by a POSIX ACL, as `setfacl -m
// u:UID:rx,g::-,o::- p` (the xattr's version 2 form): ACL_USER_OBJ rwx,
// ACL_USER uid r-x, ACL_GROUP_OBJ ---, ACL_MASK r-x, ACL_OTHER ---.
func setUserACL(p string, uid uint32) error {
	acl := binary.LittleEndian.AppendUint32(nil, 2)
	for _, e := range []struct {
		tag, perm uint16
		id        uint32
	}{{0x01, 7, ^uint32(0)}, {0x02, 5, uid}, {0x04, 0, ^uint32(0)}, {0x10, 5, ^uint32(0)}, {0x20, 0, ^uint32(0)}} {
		acl = binary.LittleEndian.AppendUint16(acl, e.tag)
		acl = binary.LittleEndian.AppendUint16(acl, e.perm)
		acl = binary.LittleEndian.AppendUint32(acl, e.id)
	}
	return syscall.Setxattr(p, "system.posix_acl_access", acl, 0)
}

// TestCheckProgramCwdAnACLGrants: a cwd that the service's user may
// enter by a POSIX ACL alone (mode 0700, setfacl -m u:svc:rx) is one the
// start enters: a restart's check refused it, `cwd DIR: permission
// denied`, reading the mode bits alone, and the service could not be
// restarted though its start works. The ACL is read as the kernel reads
// it now (aclPermits).
func TestCheckProgramCwdAnACLGrants(t *testing.T) {
	_, priv := modeBitsDirs(t, "home")
	const uid = 54321
	if err := setUserACL(priv, uid); err != nil {
		t.Skipf("no POSIX ACL here: %v", err)
	}
	if os.Getuid() != 0 {
		t.Skip("runs a child as another user: root only")
	}
	cred := &syscall.Credential{Uid: uid, Gid: uid}
	// the kernel's word: that user's process starts there
	if ws := start(t, Spec{Argv: sh("exit 0"), Dir: priv, Credential: cred, Env: []string{"PATH=/usr/bin:/bin"}}).wait(t); ws.ExitStatus() != 0 {
		t.Fatalf("sh in %s as uid %d: %v, want it run (the ACL grants it)", priv, uid, ws)
	}
	var l Launcher
	if err := l.CheckProgram(Spec{Argv: []string{"/bin/sh"}, Dir: priv, Credential: cred, Env: []string{"PATH=/usr/bin:/bin"}}); err != nil {
		t.Errorf("CheckProgram in %s as uid %d: %v, want none (the ACL grants it)", priv, uid, err)
	}
	// without the ACL, refused as before
	if err := syscall.Removexattr(priv, "system.posix_acl_access"); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(priv, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := l.CheckProgram(Spec{Argv: []string{"/bin/sh"}, Dir: priv, Credential: cred, Env: []string{"PATH=/usr/bin:/bin"}}); err == nil || err.Error() != "cwd "+priv+": permission denied" {
		t.Errorf("CheckProgram in %s (0700, no ACL) as uid %d: %v, want cwd %s: permission denied", priv, uid, err, priv)
	}
}

// aclNear says whether p, or a directory above it, carries a POSIX ACL,
// or one whose file system cannot say: a test of the mode bits alone
// skips then.
func aclNear(p string) bool {
	for p = filepath.Clean(p); ; p = filepath.Dir(p) {
		n, err := syscall.Getxattr(p, "system.posix_acl_access", nil)
		if err == nil && n > 0 || err != nil && !errors.Is(err, syscall.ENODATA) && !errors.Is(err, syscall.EOPNOTSUPP) {
			return true
		}
		if p == "/" || p == "." {
			return false
		}
	}
}
