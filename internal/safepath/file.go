package safepath

import (
	"fmt"
	"os"
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
