package safepath

import (
	"fmt"
	"io/fs"
	"os"
	"slices"
)

// CheckFile is Check for a file whose content the process obeys (a
// configuration that declares what it runs): the path must be safe, and
// the file itself root's or trusted's and writable by no one else (a
// group of root's aside, or one whose one member is trusted), or whoever may change it says what the process
// does. A missing file is safe when create is set and its directory is
// (the caller creates it); else it is the error of the stat. The file is
// looked at where the path leads: only root and trusted can change that
// once the path is safe, nor what it is, once the file is.
func CheckFile(abs string, trusted int, create bool) error {
	t := &trust{uid: trusted}
	if err := check(abs, t, create); err != nil {
		return err
	}
	st, err := os.Stat(abs)
	if create && os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if owner := Owner(st); owner != 0 && int(owner) != trusted {
		return &Unsafe{Path: abs, Uid: owner, Why: fmt.Sprintf("owned by uid %d", owner), Who: fmt.Sprintf("uid %d", owner), File: true}
	}
	if who := writers(st, t); who != "" {
		u := &Unsafe{Path: abs, Uid: Owner(st), Who: "any user", Why: fmt.Sprintf("writable by %s (mode %04o)", who, st.Mode().Perm()), File: true}
		if st.Mode().Perm()&0o002 == 0 {
			u.Who, u.Group, u.Gid = who, true, groupOf(st)
		}
		return u
	}
	return nil
}

// Content says who, besides root and the uids given, may change what the
// file st describes holds, the file at path being opened already: its
// owner when it is none of them, else whoever may write it, others or a
// group (not root's, nor one whose one member is one of uids); nil for
// nobody. A device is judged by its owner alone: what is written to
// /dev/null is not read back.
func Content(path string, st fs.FileInfo, uids ...int) *Unsafe {
	if owner := Owner(st); owner != 0 && !slices.Contains(uids, int(owner)) {
		return &Unsafe{Path: path, Uid: owner, Why: fmt.Sprintf("owned by uid %d", owner), Who: fmt.Sprintf("uid %d", owner), File: true}
	}
	perm, gid := st.Mode().Perm(), groupOf(st)
	if st.Mode()&fs.ModeDevice != 0 {
		return nil
	}
	var m members
	alone := func() bool {
		return gid == 0 || slices.ContainsFunc(uids, func(u int) bool { return m.alone(gid, u) })
	}
	switch {
	case perm&0o002 != 0:
		return &Unsafe{Path: path, Uid: Owner(st), Who: "any user", Why: fmt.Sprintf("writable by others (mode %04o)", perm), File: true}
	case perm&0o020 != 0 && !alone():
		who := fmt.Sprintf("the members of group %d", gid)
		return &Unsafe{Path: path, Uid: Owner(st), Who: who, Why: fmt.Sprintf("writable by %s (mode %04o)", who, perm), Group: true, Gid: gid, File: true}
	}
	return nil
}
