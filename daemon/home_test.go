package daemon

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A home another user could change under cfkd is refused (REFERENCE §7.2):
// one of another user's, one reached through another user's symlink or
// directory, or through a directory anyone may write that is not sticky;
// cfkd's own, in a sticky directory such as /tmp, is taken.
func TestHomeOfAnotherUserRefused(t *testing.T) {
	top := t.TempDir()
	mk := func(p string, mode os.FileMode) string {
		t.Helper()
		if err := os.MkdirAll(p, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	own := mk(filepath.Join(top, "own"), 0o700)
	sticky := mk(filepath.Join(top, "sticky"), 0o777|os.ModeSticky)
	open := mk(filepath.Join(top, "open"), 0o777)
	cases := []struct {
		home, want string
	}{
		{own, ""},
		{mk(filepath.Join(sticky, "home"), 0o700), ""},
		{mk(filepath.Join(open, "home"), 0o700), "is writable by others (mode 0777, no sticky bit): that user could put"},
		{mk(filepath.Join(mk(filepath.Join(top, "root-group"), 0o775), "home"), 0o700), ""}, // g+w, group root
		// the home itself: made 0700 at the start, but what others put
		// there before it stays
		{mk(filepath.Join(top, "open-home"), 0o777), "open-home: writable by others (mode 0777): they could have put"},
		{mk(filepath.Join(top, "sticky-home"), 0o777|os.ModeSticky), "sticky-home: writable by others (mode 0777)"},
	}
	if os.Geteuid() == 0 {
		const nobody = 65534
		theirs := mk(filepath.Join(sticky, "theirs"), 0o777)
		parent := mk(filepath.Join(top, "parent"), 0o755)
		link := filepath.Join(sticky, "link")
		if err := os.Symlink(own, link); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{theirs, parent, link} {
			if err := os.Lchown(p, nobody, nobody); err != nil {
				t.Fatal(err)
			}
		}
		group := mk(filepath.Join(top, "group-home"), 0o770)
		if err := os.Chown(group, 0, nobody); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, []struct{ home, want string }{
			{theirs, "owned by uid 65534, not by cfkd's user (uid 0)"},
			{mk(filepath.Join(parent, "home"), 0o700), parent + " is owned by uid 65534: that user could put"},
			{link, link + " is owned by uid 65534, in a directory others may write"},
			{group, "group-home: writable by the members of group 65534 (mode 0770): they could have put"},
		}...)
	}
	for _, c := range cases {
		err := checkHome(c.home)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v, want it taken", c.home, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %v, want an error with %q", c.home, err, c.want)
		}
	}
}
