package daemon

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

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
// The path is checked as the kernel resolves it (safepath.Check): each
// directory and symlink on the way must be root's or cfkd's user's, and
// each directory writable by no one else (a group of root's aside, or
// one whose one member is cfkd's user: its private group) unless it is
// sticky (/tmp); the home itself must be a directory of cfkd's user's
// that no one else may write, sticky or not.
func checkHome(home string) error {
	abs, err := filepath.Abs(home)
	if err != nil {
		return fmt.Errorf("cfkd: home %s: %w", home, err)
	}
	euid := os.Geteuid()
	refuse := func(format string, args ...any) error {
		return fmt.Errorf("cfkd: home %s: %s (give another --home)", home, fmt.Sprintf(format, args...))
	}
	st, err := os.Stat(abs)
	if err != nil {
		return fmt.Errorf("cfkd: home %s: %w", home, err)
	}
	if !st.IsDir() {
		return refuse("not a directory")
	}
	if uid := safepath.Owner(st); int(uid) != euid {
		return refuse("owned by uid %d, not by cfkd's user (uid %d): that user could choose where the files cfkd writes there go (its lock, its log)", uid, euid)
	}
	if who := safepath.Writers(st, euid); who != "" {
		// cfkd makes it 0700 below, but what another user put there
		// before (a lock symlinked to a file of cfkd's user's, a
		// log.config) stays
		return refuse("writable by %s (mode %04o): they could have put a symlink or a file of theirs there (its lock, its log.config)", who, st.Mode().Perm())
	}
	if err := safepath.Check(abs, euid); err != nil {
		var u *safepath.Unsafe
		if errors.As(err, &u) {
			return refuse("%v: that user could put another directory or a symlink in its place", u)
		}
		return fmt.Errorf("cfkd: home %s: %w", home, err)
	}
	return nil
}

// checkSocketDir refuses a UNIX console socket whose directory a user
// other than cfkd's (or root) could change (REFERENCE §5.2), as checkHome
// does the home. cfkd binds the socket, then gives it to --admin-group by
// name (chown, chmod, which follow a symlink), and removes it by name at
// exit: in a directory of another user's, that user could swap the socket
// for a symlink between the bind and the chmod (to /etc/shadow: mode 0660,
// group GROUP), or for a socket of theirs that cfkd's clients then talk
// to (a root `cfkctl apply`, its add_env values included).
func checkSocketDir(a Address) error {
	if a.Network != "unix" {
		return nil
	}
	abs, err := filepath.Abs(a.Addr)
	if err != nil {
		return fmt.Errorf("cfkd: %s: %w", a, err)
	}
	if err := safepath.CheckCreate(abs, os.Geteuid()); err != nil { // the directories on the way, and a stale socket in a sticky one
		var u *safepath.Unsafe
		if errors.As(err, &u) {
			return fmt.Errorf("cfkd: %s: %v: that user could put a socket of theirs, or a symlink, in place of cfkd's (give another -a)", a, u)
		}
		return fmt.Errorf("cfkd: %s: %w", a, err)
	}
	return nil
}
