package daemon

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cfk/cfk/internal/safepath"
	"github.com/cfk/cfk/rights"
)

// checkObeyedFile refuses a file whose content decides what cfkd does or
// who may act on it, when a user other than root and cfkd's could change
// it (REFERENCE §7.2): the config file (-c: services, run as any user,
// with any command), the log configuration (-l: what cfkd logs and where,
// its audit records included), the token files (--admin-token,
// --http-token: who gets in, and with what rights), the fleet's CA,
// this member's certificate and key, and a hub's inventory (--fleet-*,
// read at start only). A file of theirs, one they may write, or one
// reached through a directory or a symlink of theirs is refused, as
// checkHome refuses such a home. A path naming an fd cfkd was given
// (/dev/fd/N, /dev/stdin: `-c <(gen)`) is its caller's choice, as every
// flag is: not checked. With create, a missing file is taken
// when its directory is safe (cfkd writes -l's defaults there). The file
// of a flag that must be private (privateFlags) is told `chmod 600` when
// others may write it: `chmod o-w` would leave it readable, which its own
// check then refuses.
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
		return fmt.Errorf("%s %s: %s: the members of group %d could choose %s (%s %s)", flag, path, u.Why, u.Gid, what, chmodFix(flag, "g-w"), path)
	case u.File && u.Who == "any user":
		return fmt.Errorf("%s %s: %s: any user could choose %s (%s %s)", flag, path, u.Why, what, chmodFix(flag, "o-w"), path)
	case u.File:
		return fmt.Errorf("%s %s: %s, neither root nor cfkd's user (uid %d): that user could choose %s (chown %d %s, or give a file of root's or cfkd's user's)",
			flag, path, u.Why, euid, what, euid, path)
	}
	return fmt.Errorf("%s %s: %v: %s could put another file or a symlink in its place, and choose %s "+
		"(give a file in a directory that only root and cfkd's user may change)", flag, path, u, u.Who, what)
}

// checkedTokens is parse, the token file of flag checked first by
// checkObeyedFile: at start and at each SIGUSR1 (rights.Store's Reload),
// a file made another user's since, or whose directory they may write
// since, keeps the tokens in force (REFERENCE §5.3). parse's own check
// (regular, private, root's or cfkd's user's) follows.
func checkedTokens(flag, what string, parse func(string) (*rights.Tokens, error)) func(string) (*rights.Tokens, error) {
	return func(path string) (*rights.Tokens, error) {
		if err := checkObeyedFile(flag, what, path, false); err != nil {
			return nil, fmt.Errorf("cfkd: %w", err)
		}
		return parse(path)
	}
}

// chmodFix is the chmod that makes flag's file writable by its owner
// alone: mode, or 600 for a file that must be private too.
func chmodFix(flag, mode string) string {
	if privateFlags[flag] {
		return "chmod 600"
	}
	return "chmod " + mode
}

// privateFlags name files that no one but their owner may read either
// (rights' token files, the fleet's key): checked as such when read.
var privateFlags = map[string]bool{"--admin-token": true, "--http-token": true, "--fleet-key": true}

// What the files of the flags checkObeyedFile checks choose, said by its
// errors.
const (
	configChooses     = "the services cfkd runs (any command, as any user cfkd may run one as)"
	logConfigChooses  = "what cfkd logs and where (audit = none)"
	fleetCAChooses    = "who may act on this cfkd as a fleet's member or hub (a CA of theirs)"
	inventoryChooses  = "the hosts this hub sends commands to"
	adminTokenChooses = "who gets in on the admin console, and as what (a token of theirs, admin)"
	httpTokenChooses  = "who may start and stop services over --http (a token of theirs)"
	fleetCertChooses  = "which member of its fleet this cfkd is (a certificate of theirs)"
	fleetKeyChooses   = "the key this cfkd proves who it is with (one they know)"
)
