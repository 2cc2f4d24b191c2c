package daemon

import (
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/cfk/cfk/internal/earlysig"
	"github.com/cfk/cfk/upgrade"
)

// ignoredEnv tells the new cfkd of an upgrade in place which signals the
// first cfkd was started with ignored: HUP and INT are ignored across the
// exec anyway (holdSignalsForExec), so it cannot see it for itself.
const ignoredEnv = "_CFKD_START_IGNORED"

// startIgnored returns HUP and INT when cfkd was started with them ignored
// (`nohup cfkd &`, a background job of a script): cfkd catches them, so
// that no service inherits an ignored disposition, and they stay ignored
// in effect (REFERENCE §7.3). A HUP shut cfkd down when the shell that ran
// `nohup cfkd &` resent the hangup of its terminal to its jobs at logout.
// It reads the dispositions the process began with: internal/earlysig
// records them before it catches them.
func startIgnored() []syscall.Signal {
	if v, ok := os.LookupEnv(ignoredEnv); ok {
		os.Unsetenv(ignoredEnv)
		var out []syscall.Signal
		for _, n := range strings.Split(v, ",") {
			if s, err := strconv.Atoi(n); err == nil && (s == int(syscall.SIGHUP) || s == int(syscall.SIGINT)) {
				out = append(out, syscall.Signal(s))
			}
		}
		return out
	}
	if os.Getenv(upgrade.Env) != "" {
		return nil // a cfkd that passed nothing: its exec ignored them, not a user
	}
	var out []syscall.Signal
	for _, s := range []syscall.Signal{syscall.SIGHUP, syscall.SIGINT} {
		if earlysig.Ignored(s) { // as the process began: catching ends it
			out = append(out, s)
		}
	}
	return out
}

// ignoredVar is the ignoredEnv entry of an upgrade's exec.
func ignoredVar(sigs []syscall.Signal) string {
	ns := make([]string, len(sigs))
	for i, s := range sigs {
		ns[i] = strconv.Itoa(int(s))
	}
	return ignoredEnv + "=" + strings.Join(ns, ",")
}

// ignoredAtStart says whether s is one of f's startIgnored.
func (f Flags) ignoredAtStart(s os.Signal) bool {
	for _, i := range f.startIgnored {
		if s == i {
			return true
		}
	}
	return false
}
