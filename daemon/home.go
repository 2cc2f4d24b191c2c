package daemon

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/cfk/cfk/internal/safepath"
)

// checkHome refuses a home directory that a user other than cfkd's (or
// root) could change under cfkd (REFERENCE §7.2). cfkd opens, creates and
// removes files there by name, as its user: the lock (truncated, then
// written), the log and its configuration, the sockets, an upgrade's
// state. In a home of another user's, or reached through a directory or a
// symlink another user may change, that user chooses what those names
// are: a `lock` symlinked to /etc/shadow in a home that nobody made in
// /tmp (`cfkd --home /tmp/pf`, as README's example runs it) was truncated
// by a root cfkd, and a planted log.config chose where it writes.
//
// The path is checked as given: each directory on it must be root's or
// cfkd's user's, and writable by no one else (a group of root's aside)
// unless it is sticky (/tmp);
// each symlink on it must be root's or cfkd's user's; the home itself
// must be a directory of cfkd's user.
func checkHome(home string) error {
	abs, err := filepath.Abs(home)
	if err != nil {
		return fmt.Errorf("cfkd: home %s: %w", home, err)
	}
	euid := os.Geteuid()
	trusted := func(uid uint32) bool { return uid == 0 || int(uid) == euid }
	refuse := func(format string, args ...any) error {
		return fmt.Errorf("cfkd: home %s: %s (give another --home)", home, fmt.Sprintf(format, args...))
	}
	paths := []string{"/"}
	for p, rest := "", strings.TrimPrefix(abs, "/"); rest != ""; {
		var part string
		part, rest, _ = strings.Cut(rest, "/")
		p += "/" + part
		paths = append(paths, p)
	}
	for i, p := range paths {
		last := i == len(paths)-1
		lst, err := os.Lstat(p)
		if err != nil {
			return fmt.Errorf("cfkd: home %s: %w", home, err)
		}
		if lst.Mode()&fs.ModeSymlink != 0 {
			if uid := ownerOf(lst); !trusted(uid) {
				return refuse("the symlink %s is owned by uid %d, neither root nor cfkd's user (uid %d): that user could point it elsewhere", p, uid, euid)
			}
		}
		st, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("cfkd: home %s: %w", home, err)
		}
		if !st.IsDir() {
			return refuse("%s is not a directory", p)
		}
		uid := ownerOf(st)
		switch {
		case last && int(uid) != euid:
			return refuse("owned by uid %d, not by cfkd's user (uid %d): that user could choose where the files cfkd writes there go (its lock, its log)", uid, euid)
		case !trusted(uid):
			return refuse("%s is owned by uid %d, neither root nor cfkd's user (uid %d): that user could put another directory in its place", p, uid, euid)
		case !last && safepath.OthersWrite(st) && st.Mode()&fs.ModeSticky == 0:
			return refuse("%s is writable by other users (mode %04o, no sticky bit): they could put another directory in its place", p, st.Mode().Perm())
		}
	}
	return nil
}

// ownerOf is the uid that owns a file.
func ownerOf(fi fs.FileInfo) uint32 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Uid
	}
	return 0
}
