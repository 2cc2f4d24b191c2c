package osproc

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// uid is the service's user of these tests; other the user alone an ACL
// grants (aclForOther).
const uid, other = 54321, 54322

// aclForOther gives other alone rx on dir by an ACL (setfacl -m
// u:other:rx); the test is skipped where there is no POSIX ACL, or when
// it is not root (it runs children as uid).
func aclForOther(t *testing.T, dir string) {
	t.Helper()
	if err := setUserACL(dir, other); err != nil {
		t.Skipf("no POSIX ACL here: %v", err)
	}
	if os.Getuid() != 0 {
		t.Skip("runs a child as another user: root only")
	}
}

// TestLookPathPassesOverAnACLForAnotherUser: a directory of the PATH
// whose ACL grants another user alone (setfacl -m u:alice:rx /opt/tools,
// mode 0750) holds a program the service's user may not run: its execve
// fails with EACCES, and execvp(3) passes over it for the next one in the
// PATH. The PATH search took it for any ACL found, and the start failed
// 'permission denied' where /usr/bin's program would have run.
func TestLookPathPassesOverAnACLForAnotherUser(t *testing.T) {
	top, priv := modeBitsDirs(t, "tools")
	aclForOther(t, priv)
	denied := writeMode(t, filepath.Join(priv, "prog"), "#!/bin/sh\nexit 0\n", 0o755)
	pub := pubProg(t, top, "#!/bin/sh\nexit 0\n")
	cred := &syscall.Credential{Uid: uid, Gid: uid}
	// the kernel's word: that user may not run the file in the ACL's
	// directory (the test's premise)
	if c, err := tryStart(t, Spec{Argv: []string{denied}, Credential: cred, Env: []string{"PATH=/usr/bin:/bin"}}); err == nil {
		t.Fatalf("%s as uid %d ran (%v), want EACCES (the ACL grants uid %d alone)", denied, uid, c.wait(t), other)
	} else if !errors.Is(err, syscall.EACCES) {
		t.Fatalf("%s as uid %d: %v, want EACCES", denied, uid, err)
	}
	env := []string{"PATH=" + priv + ":" + pub}
	want := filepath.Join(pub, "prog")
	if got, _, err := lookPath("prog", env, "", cred); err != nil || got != want {
		t.Errorf("lookPath = %q, %v; want %q, the one execvp(3) runs", got, err, want)
	}
	// and the ACL's own user is given the first, as before
	if got, _, err := lookPath("prog", env, "", &syscall.Credential{Uid: other, Gid: other}); err != nil || got != denied {
		t.Errorf("lookPath as uid %d = %q, %v; want %q (the ACL grants it)", other, got, err, denied)
	}
}

// TestCheckProgramCwdAnACLForAnotherUser: a cwd whose ACL opens it to
// another user alone (mode 0700, setfacl -m u:alice:rx) is one the
// service's user cannot enter: a restart's check passed it for any ACL
// found, then stopped the process that ran, and the start failed. It is
// refused `cwd DIR: permission denied` before the stop, as without an
// ACL.
func TestCheckProgramCwdAnACLForAnotherUser(t *testing.T) {
	_, priv := modeBitsDirs(t, "home")
	aclForOther(t, priv)
	cred := &syscall.Credential{Uid: uid, Gid: uid}
	spec := Spec{Argv: sh("exit 0"), Dir: priv, Credential: cred, Env: []string{"PATH=/usr/bin:/bin"}}
	// the kernel's word: that user's process cannot start there
	if c, err := tryStart(t, spec); err == nil {
		t.Fatalf("sh in %s as uid %d ran (%v), want it refused (the ACL grants uid %d alone)", priv, uid, c.wait(t), other)
	}
	var l Launcher
	if err := l.CheckProgram(spec); err == nil || err.Error() != "cwd "+priv+": permission denied" {
		t.Errorf("CheckProgram in %s as uid %d: %v, want cwd %s: permission denied", priv, uid, err, priv)
	}
	// the ACL's own user enters it
	spec.Credential = &syscall.Credential{Uid: other, Gid: other}
	if err := l.CheckProgram(spec); err != nil {
		t.Errorf("CheckProgram in %s as uid %d: %v, want none (the ACL grants it)", priv, other, err)
	}
}

// TestCheckProgramPathAnACLForAnotherUser: a program named by its path,
// or a script's interpreter, in a directory whose ACL opens it to another
// user alone (mode 0750, setfacl -m u:alice:rx) is one the service's user
// may not execute: a restart's check passed it for any ACL on the way,
// stopped the process that ran, and the start failed 'permission
// denied'. It is refused before the stop now, as without an ACL; the
// ACL's own user is passed.
func TestCheckProgramPathAnACLForAnotherUser(t *testing.T) {
	top, priv := modeBitsDirs(t, "tools")
	aclForOther(t, priv)
	prog := writeMode(t, filepath.Join(priv, "prog"), "#!/bin/sh\nexit 0\n", 0o755)
	script := writeMode(t, filepath.Join(top, "run"), "#!"+prog+"\n", 0o755)
	cred := &syscall.Credential{Uid: uid, Gid: uid}
	env := []string{"PATH=/usr/bin:/bin"}
	// the kernel's word: that user may not run either
	for _, p := range []string{prog, script} {
		if c, err := tryStart(t, Spec{Argv: []string{p}, Credential: cred, Env: env}); err == nil {
			t.Fatalf("%s as uid %d ran (%v), want it refused (the ACL grants uid %d alone)", p, uid, c.wait(t), other)
		}
	}
	var l Launcher
	for p, want := range map[string]string{
		prog:   "exec " + prog + ": permission denied",
		script: "exec " + script + ": its interpreter \"" + prog + "\": permission denied",
	} {
		if err := l.CheckProgram(Spec{Argv: []string{p}, Credential: cred, Env: env}); err == nil || err.Error() != want {
			t.Errorf("CheckProgram(%s) as uid %d: %v, want %s", p, uid, err, want)
		}
		if err := l.CheckProgram(Spec{Argv: []string{p}, Credential: &syscall.Credential{Uid: other, Gid: other}, Env: env}); err != nil {
			t.Errorf("CheckProgram(%s) as uid %d: %v, want none (the ACL grants it)", p, other, err)
		}
	}
}

// A file system that cannot say whether a file has a POSIX ACL
// (EOPNOTSUPP: procfs here, an NFSv4 mount in use, whose server decides
// by its own ACLs) leaves the decision to the exec, as before ACLs were
// read: the mode bits alone would refuse what the server grants.
func TestACLUnknownFileSystemLeftToTheExec(t *testing.T) {
	const p = "/proc/version"
	if _, err := syscall.Getxattr(p, "system.posix_acl_access", nil); !errors.Is(err, syscall.EOPNOTSUPP) {
		t.Skipf("getxattr %s: %v, want EOPNOTSUPP", p, err)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(p, &st); err != nil {
		t.Fatal(err)
	}
	if ok, read := aclPermits(p, &st, &syscall.Credential{Uid: 65534, Gid: 65534}, 1); !ok || !read {
		t.Errorf("aclPermits(%s) = %v, %v; want true, true (left to the exec)", p, ok, read)
	}
}
