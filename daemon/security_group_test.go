package daemon

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"syscall"
	"testing"

	"github.com/cfk/cfk/actors"
)

// A cfkd not run as root, given --admin-group of a group its user is not
// in, stopped with `cfkd: --admin-group: chown HOME: operation not
// permitted`, not saying why (REFERENCE §5.2): it now says that its user
// is not a member, and what to do; an EPERM for a member, or another
// error, gets nothing more.
func TestAdminGroupNotAMemberSaysWhy(t *testing.T) {
	g := actors.GroupRight{GID: 4242, Name: "ops"}
	eperm := &fs.PathError{Op: "chown", Path: "/home/x/ch", Err: syscall.EPERM}
	groups := func(gids ...int) func() ([]int, error) { return func() ([]int, error) { return gids, nil } }
	egid := func() int { return 1001 }
	want := fmt.Sprintf(": cfkd's user (uid %d) is not a member of group ops (gid 4242), so it cannot give its socket that group; "+
		"add it to the group (then start cfkd in a new login), or run cfkd as root", os.Geteuid())
	if got := notInGroup(eperm, g, egid, groups(1001, 27)); got != want {
		t.Errorf("not a member: %q, want %q", got, want)
	}
	for _, tc := range []struct {
		what   string
		err    error
		egid   func() int
		groups func() ([]int, error)
	}{
		{"a member", eperm, egid, groups(27, 4242)},
		{"its primary group", eperm, func() int { return 4242 }, groups()},
		{"another error", &fs.PathError{Op: "chown", Path: "/x", Err: syscall.ENOENT}, egid, groups()},
		{"groups unknown", eperm, egid, func() ([]int, error) { return nil, errors.New("no") }},
	} {
		if got := notInGroup(tc.err, g, tc.egid, tc.groups); got != "" {
			t.Errorf("%s: %q, want nothing", tc.what, got)
		}
	}
}

// A cfkd not run as root, given --admin-group of a group its user is not
// in, was refused at the chown, once its home, log and log.config were
// made, and left them (REFERENCE §5.2, §7.4): it is refused before; root,
// a member, a holder of CAP_CHOWN, or a cfkd that cannot tell, goes on.
func TestAdminGroupNotAMemberRefusedFirst(t *testing.T) {
	g := actors.GroupRight{GID: 4242, Name: "ops"}
	groups := func(gids ...int) func() ([]int, error) { return func() ([]int, error) { return gids, nil } }
	egid := func() int { return 1001 }
	capNo := func() (bool, error) { return false, nil }
	err := groupUnreachable("ops:read", g, 1001, egid, groups(1001, 27), capNo)
	want := fmt.Sprintf("cfkd: --admin-group ops:read: cfkd's user (uid %d) is not a member of group ops (gid 4242), so it cannot give its socket that group; "+
		"add it to the group (then start cfkd in a new login), or run cfkd as root", os.Geteuid())
	if err == nil || err.Error() != want {
		t.Errorf("not a member: %v, want %q", err, want)
	}
	for _, tc := range []struct {
		what     string
		euid     int
		egid     func() int
		groups   func() ([]int, error)
		capChown func() (bool, error)
	}{
		{"root", 0, egid, groups(), func() (bool, error) { return true, nil }},
		{"root in the group", 0, egid, groups(0, 4242), capNo},
		{"a member", 1001, egid, groups(27, 4242), capNo},
		{"its primary group", 1001, func() int { return 4242 }, groups(), capNo},
		{"CAP_CHOWN", 1001, egid, groups(), func() (bool, error) { return true, nil }},
		{"groups unknown", 1001, egid, func() ([]int, error) { return nil, errors.New("no") }, capNo},
		{"capabilities unknown", 1001, egid, groups(), func() (bool, error) { return false, errors.New("no") }},
	} {
		if err := groupUnreachable("ops", g, tc.euid, tc.egid, tc.groups, tc.capChown); err != nil {
			t.Errorf("%s: %v, want nil", tc.what, err)
		}
	}
	// root whose capabilities were dropped (a container's) cannot either,
	// and is told why: the chown said only `operation not permitted`
	err = groupUnreachable("ops", g, 0, func() int { return 0 }, groups(0, 1), capNo)
	if want := "cfkd: --admin-group ops: cfkd runs as root without CAP_CHOWN (its capabilities were dropped, as in a container), " +
		"so it cannot give its socket group ops (gid 4242), of which root is not a member; give it CAP_CHOWN " +
		"(docker run --cap-add CHOWN; systemd: AmbientCapabilities=CAP_CHOWN), or add root to the group"; err == nil || err.Error() != want {
		t.Errorf("root without CAP_CHOWN: %v, want %q", err, want)
	}
	// Linux says, from /proc/self/status
	if _, err := capChown(); runtime.GOOS == "linux" && err != nil {
		t.Errorf("capChown: %v", err)
	}
}
