package osproc

import (
	"syscall"
	"testing"
)

// TestCheckProgramACLEmptyMaskLeftToTheModeBits: an ACL whose mask is
// empty (setfacl -m u:UID:---,m::--- on a program of mode 0755, mode
// then 0705) leaves the group bits of the mode empty, and the kernel
// (acl_permission_check) reads no ACL then: it decides by the mode bits,
// the others' r-x for a user not in the owning group, so that user's
// exec runs. The check read the ACL and refused the start, 'permission
// denied', of a program that runs (REFERENCE §2.4).
func TestCheckProgramACLEmptyMaskLeftToTheModeBits(t *testing.T) {
	_, dir, prog, cred := progForUID(t, "d")
	const none = ^uint32(0)
	empty := []aclEnt{{aclUserObj, 7, none}, {aclUser, 0, uid}, {aclGroupObj, 5, none}, {aclMask, 0, none}, {aclOther, 5, none}}
	if err := setACL(prog, empty...); err != nil {
		t.Skipf("no POSIX ACL here: %v", err)
	}
	if err := setACL(dir, empty...); err != nil {
		t.Fatal(err)
	}
	// the kernel's word: that user's exec of it runs
	if ws := start(t, Spec{Argv: sh("exec " + prog), Credential: cred, Env: []string{"PATH=/usr/bin:/bin"}}).wait(t); ws.ExitStatus() != 0 {
		t.Fatalf("exec of %s as uid %d: %v, want exit 0", prog, uid, ws)
	}
	var l Launcher
	for _, spec := range []Spec{
		{Argv: []string{prog}},
		{Argv: []string{"prog"}, Env: []string{"PATH=" + dir}},
		{Argv: []string{"/bin/sh"}, Dir: dir},
	} {
		spec.Credential = cred
		if spec.Env == nil {
			spec.Env = []string{"PATH=/usr/bin:/bin"}
		}
		if err := l.CheckProgram(spec); err != nil {
			t.Errorf("CheckProgram(%q in %q) = %v, want none", spec.Argv, spec.Dir, err)
		}
	}
	var st syscall.Stat_t
	if err := syscall.Stat(prog, &st); err != nil {
		t.Fatal(err)
	}
	if ok := permits(prog, &st, cred, 5); !ok {
		t.Errorf("permits(r-x) = false, want true (the others' mode bits)")
	}
	// in the owning group: its mode bits, empty
	if ok := permits(prog, &st, &syscall.Credential{Uid: uid, Gid: st.Gid}, 1); ok {
		t.Errorf("permits(--x) in the owning group = true, want false")
	}
}
