package daemon

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/cfk/cfk/actors"
)

// notMember says that cfkd's user cannot give its socket g's group
// (REFERENCE §5.2), and what to do.
func notMember(g actors.GroupRight) string {
	return fmt.Sprintf("cfkd's user (uid %d) is not a member of group %s (gid %d), so it cannot give its socket that group; "+
		"add it to the group (then start cfkd in a new login), or run cfkd as root", os.Geteuid(), g.Name, g.GID)
}

// groupUnreachable refuses --admin-group's group (flag: the flag's value)
// before cfkd makes anything (REFERENCE §5.2, §7.4): a cfkd not run as
// root, or root without CAP_CHOWN (capChown: a container's), may give its
// socket only its own groups (egid, groups). Refused at the chown, after the home, its
// log and log.config were made, the start left them behind. nil when it
// may, or when it cannot tell (the chown then decides, notInGroup).
func groupUnreachable(flag string, g actors.GroupRight, euid int, egid func() int, groups func() ([]int, error),
	capChown func() (bool, error)) error {
	if int(g.GID) == egid() {
		return nil
	}
	gids, err := groups()
	if err != nil || slices.Contains(gids, int(g.GID)) {
		return nil
	}
	if held, err := capChown(); err != nil || held {
		return nil
	}
	if euid == 0 {
		// root whose capabilities were dropped (a container's): it too
		// may give its socket only its own groups
		return fmt.Errorf("cfkd: --admin-group %s: cfkd runs as root without CAP_CHOWN (its capabilities were dropped, as in a container), "+
			"so it cannot give its socket group %s (gid %d), of which root is not a member; give it CAP_CHOWN "+
			"(docker run --cap-add CHOWN; systemd: AmbientCapabilities=CAP_CHOWN), or add root to the group", flag, g.Name, g.GID)
	}
	return fmt.Errorf("cfkd: --admin-group %s: %s", flag, notMember(g))
}

// capChown says whether cfkd holds CAP_CHOWN in its effective set
// (Linux's /proc/self/status, CapEff, bit 0); elsewhere only root may
// give a file a group it is not in.
func capChown() (bool, error) {
	if runtime.GOOS != "linux" {
		return os.Geteuid() == 0, nil // root may
	}
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return false, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			caps, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err != nil {
				return false, err
			}
			return caps&1 != 0, nil
		}
	}
	return false, errors.New("no CapEff in /proc/self/status")
}
