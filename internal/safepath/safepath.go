package safepath

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// maxLinks bounds the symlinks followed, as the kernel's ELOOP does.
const maxLinks = 40

// Unsafe says why a path is not safe: who may change it, and where.
type Unsafe struct {
	Path string // the directory, symlink or entry that uid may change
	Uid  uint32 // its owner; for a directory others may write, its owner too
	Why  string // "owned by uid 1000", "writable by others (mode 0777)", ...
	// Who may change it: "uid 1000" (its owner), "the members of group
	// 104", "any user" (a directory others may write: not its owner,
	// root's perhaps)
	Who string
	// Group: a directory the members of group Gid may write is why (they
	// may be trusted as root's: CheckCreateTrusting)
	Group bool
	Gid   uint32
	// File: the file itself is why (CheckFile), not a directory or a
	// symlink on its way
	File bool
}

func (u *Unsafe) Error() string { return u.Path + " is " + u.Why }

// Check says whether only root and uid trusted (and a group whose one
// member is trusted: group.go) can change what the absolute path abs
// leads to: nil, an *Unsafe, or the error of a
// component that cannot be looked at (missing, not a directory, a loop).
func Check(abs string, trusted int) error { return check(abs, &trust{uid: trusted}, false) }

// CheckCreate is Check for a file that may not exist yet (one that the
// caller creates): a missing last component is safe when its directory
// is.
func CheckCreate(abs string, trusted int) error { return check(abs, &trust{uid: trusted}, true) }

// CheckCreateTrusting is CheckCreate, the members of groups trusted as
// root is: a directory that one of them may write is safe (Ubuntu's
// /var/log, group syslog, once its administrator says so).
func CheckCreateTrusting(abs string, trusted int, groups []uint32) error {
	return check(abs, &trust{uid: trusted, groups: groups}, true)
}

func check(abs string, t *trust, create bool) error {
	if !filepath.IsAbs(abs) {
		return fmt.Errorf("%s: not an absolute path", abs)
	}
	ok := t.user
	root, err := os.Lstat("/")
	if err != nil {
		return err
	}
	if u := dirUnsafe("/", root, t); u != nil {
		return u
	}
	sticky := isOpenSticky(root, t)
	queue := strings.Split(abs, "/")
	cur, links := "/", 0
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			// cur was resolved and checked: its parent was checked too
			cur = filepath.Dir(cur)
			st, err := os.Lstat(cur)
			if err != nil {
				return err
			}
			sticky = isOpenSticky(st, t)
			continue
		}
		p := filepath.Join(cur, c)
		st, err := os.Lstat(p)
		if create && errors.Is(err, fs.ErrNotExist) && allEmpty(queue) {
			return nil // created in a directory found safe
		}
		if err != nil {
			return err
		}
		owner := Owner(st)
		if sticky && !ok(owner) {
			return &Unsafe{Path: p, Uid: owner, Why: fmt.Sprintf("owned by uid %d, in a directory others may write", owner), Who: fmt.Sprintf("uid %d", owner)}
		}
		if st.Mode()&fs.ModeSymlink != 0 {
			if !ok(owner) {
				return &Unsafe{Path: p, Uid: owner, Why: fmt.Sprintf("a symlink of uid %d", owner), Who: fmt.Sprintf("uid %d", owner)}
			}
			if links++; links > maxLinks {
				return &fs.PathError{Op: "open", Path: abs, Err: syscall.ELOOP}
			}
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			if filepath.IsAbs(target) {
				cur, sticky = "/", isOpenSticky(root, t)
			}
			queue = append(strings.Split(target, "/"), queue...)
			continue
		}
		if len(queue) == 0 || allEmpty(queue) {
			return nil // the file itself: its directory is safe
		}
		if !st.IsDir() {
			return &fs.PathError{Op: "open", Path: p, Err: syscall.ENOTDIR}
		}
		if u := dirUnsafe(p, st, t); u != nil {
			return u
		}
		cur, sticky = p, isOpenSticky(st, t)
	}
	return nil
}

// allEmpty says whether what is left of a path is only slashes and dots.
func allEmpty(rest []string) bool {
	for _, c := range rest {
		if c != "" && c != "." {
			return false
		}
	}
	return true
}

// trust is who may change what a path found safe leads to: root, the
// trusted uid, the members of the groups a caller trusts as root's
// (CheckCreateTrusting), and those of a group whose only member is the
// trusted uid (group.go).
type trust struct {
	uid     int
	groups  []uint32
	members members
}

func (t *trust) user(uid uint32) bool { return uid == 0 || int(uid) == t.uid }

// group says whether only trusted users are in group gid.
func (t *trust) group(gid uint32) bool {
	if gid == 0 || slices.Contains(t.groups, gid) {
		return true
	}
	return t.uid >= 0 && t.members.alone(gid, t.uid)
}

// dirUnsafe says why a directory is not safe, or nil.
func dirUnsafe(p string, st fs.FileInfo, t *trust) *Unsafe {
	owner := Owner(st)
	if !t.user(owner) {
		return &Unsafe{Path: p, Uid: owner, Why: fmt.Sprintf("owned by uid %d", owner), Who: fmt.Sprintf("uid %d", owner)}
	}
	if who := writers(st, t); who != "" && st.Mode()&fs.ModeSticky == 0 {
		u := &Unsafe{Path: p, Uid: owner, Who: "any user", Why: fmt.Sprintf("writable by %s (mode %04o, no sticky bit)", who, st.Mode().Perm())}
		if st.Mode().Perm()&0o002 == 0 {
			u.Who, u.Group, u.Gid = who, true, groupOf(st)
		}
		return u
	}
	return nil
}

// Writers says who besides its owner, root and the trusted uid may write
// in a directory: "others" (o+w), "the members of group N" (g+w, a group
// that is not root's, as logrotate judges a parent directory, nor one
// whose only member is the trusted uid), or "" (nobody).
func Writers(st fs.FileInfo, trusted int) string { return writers(st, &trust{uid: trusted}) }

func writers(st fs.FileInfo, t *trust) string {
	switch {
	case !othersWrite(st, t):
		return ""
	case st.Mode().Perm()&0o002 != 0:
		return "others"
	}
	return fmt.Sprintf("the members of group %d", groupOf(st))
}

// othersWrite says whether users other than a directory's owner, root
// and the trusted uid may write in it (Writers).
func othersWrite(st fs.FileInfo, t *trust) bool {
	perm := st.Mode().Perm()
	return perm&0o002 != 0 || perm&0o020 != 0 && !t.group(groupOf(st))
}

// isOpenSticky: a sticky directory that others may write (/tmp): its
// entries are safe only when they are root's or the trusted uid's.
func isOpenSticky(st fs.FileInfo, t *trust) bool {
	return st.Mode()&fs.ModeSticky != 0 && othersWrite(st, t)
}

// groupOf is the gid of a file.
func groupOf(fi fs.FileInfo) uint32 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Gid
	}
	return 0
}

// Owner is the uid that owns a file.
func Owner(fi fs.FileInfo) uint32 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Uid
	}
	return 0
}
