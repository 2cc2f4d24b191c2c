package daemon

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cfk/cfk/internal/safepath"
)

// checkObeyedFile refuses a file whose lines cfkd obeys, the config file
// (-c: services, run as any user, with any command) and the log
// configuration (-l: what cfkd logs and where, its audit records
// included), when a user other than root and cfkd's could change it
// (REFERENCE §7.2): a file of theirs, one they may write, or one reached
// through a directory or a symlink of theirs, as checkHome refuses such a
// home. A path naming an fd cfkd was given (/dev/fd/N, /dev/stdin: `-c
// <(gen)`) is its caller's choice, as every flag is: not checked. With
// create, a missing file is taken when its directory is safe (cfkd
// writes -l's defaults there).
func checkObeyedFile(flag, what, path string, create bool) error {
	if _, ok := fdOfPath(path); ok {
		return nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("%s %s: %w", flag, path, err)
	}
	euid := os.Geteuid()
	err = safepath.CheckFile(abs, euid, create)
	var u *safepath.Unsafe
	switch {
	case err == nil:
		return nil
	case !errors.As(err, &u):
		return fmt.Errorf("%s %s: %w", flag, path, err)
	case u.File && u.Group:
		return fmt.Errorf("%s %s: %s: the members of group %d could choose %s (chmod g-w %s)", flag, path, u.Why, u.Gid, what, path)
	case u.File && u.Who == "any user":
		return fmt.Errorf("%s %s: %s: any user could choose %s (chmod o-w %s)", flag, path, u.Why, what, path)
	case u.File:
		return fmt.Errorf("%s %s: %s, neither root nor cfkd's user (uid %d): that user could choose %s (chown %d %s, or give a file of root's or cfkd's user's)",
			flag, path, u.Why, euid, what, euid, path)
	}
	return fmt.Errorf("%s %s: %v: %s could put another file or a symlink in its place, and choose %s "+
		"(give a file in a directory that only root and cfkd's user may change)", flag, path, u, u.Who, what)
}

// What the files of -c, -l, --fleet-ca and --fleet-inventory choose, said
// by checkObeyedFile's errors.
const (
	configChooses    = "the services cfkd runs (any command, as any user cfkd may run one as)"
	logConfigChooses = "what cfkd logs and where (audit = none)"
	fleetCAChooses   = "who may act on this cfkd as a fleet's member or hub (a CA of theirs)"
	inventoryChooses = "the hosts this hub sends commands to"
)
