package osproc

import (
	"encoding/binary"
	"errors"
	"syscall"
)

// aclsUnread: Linux's POSIX ACLs are read (aclPermits), so the mode bits
// and ACLs together tell what a user may do, as the kernel decides.
const aclsUnread = false

// The tags of a POSIX ACL entry, as the system.posix_acl_access
// attribute stores them (version 2: a 4-byte header, then 8-byte
// entries: tag, perm, id, little-endian).
const (
	aclUserObj  = 0x01
	aclUser     = 0x02
	aclGroupObj = 0x04
	aclGroup    = 0x08
	aclMask     = 0x10
	aclOther    = 0x20
)

// aclPermits says whether the access ACL of p (whose stat is st) gives
// cred every permission of want (4 r, 2 w, 1 x), as the kernel's
// posix_acl_permission decides: the owner's entry for the owner; else a
// named user's entry; else, when cred is in the owning group or a named
// group, whether one of those entries grants it all (named entries and
// the owning group's masked by the mask entry), refused when none does;
// else the other entry. read is false when p has no ACL (the mode bits
// decide); an ACL that cannot be read, or a file system that cannot say
// whether p has one (EOPNOTSUPP: an NFSv4 mount, whose server decides by
// its own ACLs), is taken as granting it (the exec says). Nor is an ACL
// read for a file whose mode has no group bit (its mask, or its owning
// group's entry, empty: setfacl -m m::---): the kernel's
// acl_permission_check reads none then, the mode bits decide (a named
// user denied by the empty mask gets the others' bits).
func aclPermits(p string, st *syscall.Stat_t, cred *syscall.Credential, want uint32) (ok, read bool) {
	if st.Mode&0o070 == 0 {
		return false, false
	}
	buf := make([]byte, 4+8*32)
	n, err := syscall.Getxattr(p, "system.posix_acl_access", buf)
	if errors.Is(err, syscall.ERANGE) { // more than 32 entries
		if n, err = syscall.Getxattr(p, "system.posix_acl_access", nil); err == nil {
			buf = make([]byte, n)
			n, err = syscall.Getxattr(p, "system.posix_acl_access", buf)
		}
	}
	switch {
	case errors.Is(err, syscall.ENODATA):
		return false, false // none: the mode bits say it all
	case err != nil || n < 4 || (n-4)%8 != 0 || binary.LittleEndian.Uint32(buf) != 2:
		return true, true // cannot tell
	}
	type entry struct {
		tag, perm uint16
		id        uint32
	}
	var ents []entry
	mask := uint32(7)
	for b := buf[4:n]; len(b) >= 8; b = b[8:] {
		e := entry{binary.LittleEndian.Uint16(b), binary.LittleEndian.Uint16(b[2:]), binary.LittleEndian.Uint32(b[4:])}
		if e.tag == aclMask {
			mask = uint32(e.perm)
		}
		ents = append(ents, e)
	}
	has := func(perm uint32) bool { return perm&want == want }
	if st.Uid == cred.Uid {
		for _, e := range ents {
			if e.tag == aclUserObj {
				return has(uint32(e.perm)), true
			}
		}
	}
	for _, e := range ents {
		if e.tag == aclUser && e.id == cred.Uid {
			return has(uint32(e.perm) & mask), true
		}
	}
	found := false
	for _, e := range ents {
		if e.tag == aclGroupObj && credInGroup(cred, st.Gid) || e.tag == aclGroup && credInGroup(cred, e.id) {
			if has(uint32(e.perm) & mask) {
				return true, true
			}
			found = true
		}
	}
	if found {
		return false, true
	}
	for _, e := range ents {
		if e.tag == aclOther {
			return has(uint32(e.perm)), true
		}
	}
	return true, true // no other entry: malformed, the exec says
}
