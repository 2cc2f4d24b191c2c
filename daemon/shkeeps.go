package daemon

import (
	"os"

	"github.com/cfk/cfk/actors"
)

// What /bin/sh does with the variables of its environment whose names are
// not a shell's (REFERENCE §2.6): a cfkd started afresh learns it once,
// before its launcher's reaper runs (actors.ShKeepsOtherNames runs
// /bin/sh). The new cfkd of an upgrade in place runs no probe: the fds
// that crossed the exec (the services' pipes, the listeners, the
// proxies' command pipes) are open without close-on-exec until it takes
// the services over, and a /bin/sh forked then would hold them, as would
// anything it left behind. The former cfkd hands its answer on in
// shKeepsEnv instead; a cfkd that has none then (exec'd by a cfkd from
// before it was carried, or a rollback's) takes /bin/sh for one that
// drops them, which only makes the warning of those names one that may
// not apply.

// shKeepsEnv carries the former cfkd's answer across an upgrade's exec,
// 1 or 0 (unset at once: no service inherits it).
const shKeepsEnv = "_CFKD_SH_KEEPS"

// shKeepsFromEnv reads and unsets shKeepsEnv: the former cfkd's answer;
// false when there is none.
func shKeepsFromEnv() bool {
	v := os.Getenv(shKeepsEnv)
	os.Unsetenv(shKeepsEnv)
	return v == "1"
}

// shKeepsVar is shKeepsEnv's entry for the exec of an upgrade.
func shKeepsVar(keeps bool) string {
	if keeps {
		return shKeepsEnv + "=1"
	}
	return shKeepsEnv + "=0"
}

// shKeeps is what /bin/sh does, for serve: carried (the former cfkd's
// answer, false when none) when adopting, else learned now.
func shKeeps(adopting, carried bool) bool {
	if adopting {
		return carried
	}
	return shProbe("/bin/sh")
}

// shProbe is actors.ShKeepsOtherNames; the tests see whether it runs.
var shProbe = actors.ShKeepsOtherNames
