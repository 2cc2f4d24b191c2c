package daemon

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/cfk/cfk/internal/nowait"
	"github.com/cfk/cfk/logconf"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/upgrade"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// The rollback of an upgrade in place (REFERENCE §13.4): a new cfkd that
// fails before it has taken the services over execs the former cfkd's
// binary back, with the same fds and the same state, which that binary
// reads (it wrote it). The former cfkd names its binary to the new one by
// an fd open on it that crosses the exec (formerEnv): on Linux the very
// file it runs (/proc/self/exe), whatever replaced it on disk since; the
// new cfkd execs it through /proc/self/fd/N. Elsewhere the fd is checked
// to be the file at its path still, which is exec'd. The former cfkd is
// told that it is a rollback, and why (rollbackEnv), and is given no
// binary to fall back to: one rollback at most, never a loop.

// formerEnv names the former cfkd's binary to the new one: "FD:PATH".
const formerEnv = "_CFKD_UPGRADE_FORMER"

// rollbackEnv tells the former cfkd, exec'd again by the new one, why the
// upgrade was rolled back.
const rollbackEnv = "_CFKD_UPGRADE_ROLLBACK"

// former is what the new cfkd of an upgrade knows of the former one.
type former struct {
	fd   int    // open on the former binary; -1 when none was named
	path string // its path (the former's os.Executable)
	// rolledBack: this cfkd is the former one, exec'd again: why (it
	// falls back to nothing)
	rolledBack string
}

// openFormer opens the binary this cfkd runs, for the new cfkd of its
// upgrade in place to fall back to: the file and formerEnv's entry, or
// nil when it cannot (the upgrade goes on without a rollback). The file
// is not close-on-exec: it crosses.
func openFormer(log logrus.FieldLogger) (*os.File, string) {
	path, err := os.Executable()
	if err != nil {
		log.WithError(err).Warn("upgrade: cannot find my own binary: no rollback if the new cfkd fails")
		return nil, ""
	}
	open := path
	if runtime.GOOS == "linux" {
		open = "/proc/self/exe" // the file that runs, even if replaced on disk
	}
	f, err := os.Open(open)
	if err == nil {
		err = setInherit([]int{int(f.Fd())}, true)
		if err != nil {
			f.Close()
		}
	}
	if err != nil {
		log.WithError(err).Warnf("upgrade: cannot open my own binary %s: no rollback if the new cfkd fails", path)
		return nil, ""
	}
	return f, formerEnv + "=" + strconv.Itoa(int(f.Fd())) + ":" + path
}

// formerFromEnv reads and unsets formerEnv and rollbackEnv (no service
// inherits them). The fd named is made close-on-exec at once. nil when
// neither is set, or when this cfkd adopts no state (a plain start: the
// fd is not touched, it may be anything).
func formerFromEnv() *former {
	v, named := os.LookupEnv(formerEnv)
	why, back := os.LookupEnv(rollbackEnv)
	os.Unsetenv(formerEnv)
	os.Unsetenv(rollbackEnv)
	if !named && !back || os.Getenv(upgrade.Env) == "" {
		return nil
	}
	fm := &former{fd: -1, rolledBack: why}
	if back && why == "" {
		fm.rolledBack = "(no reason given)"
	}
	if n, path, ok := strings.Cut(v, ":"); named && ok {
		if fd, err := strconv.Atoi(n); err == nil && fd > 2 {
			if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC); err == nil {
				fm.fd, fm.path = fd, path
			}
		}
	}
	if back && fm.fd >= 0 { // a rollback falls back to nothing
		unix.Close(fm.fd)
		fm.fd = -1
	}
	return fm
}

// close closes the fd on the former binary: the new cfkd took over.
func (fm *former) close() {
	if fm != nil && fm.fd >= 0 {
		unix.Close(fm.fd)
		fm.fd = -1
	}
}

// execPath is the path that execs the former binary.
func (fm *former) execPath() (string, error) {
	if runtime.GOOS == "linux" {
		return "/proc/self/fd/" + strconv.Itoa(fm.fd), nil
	}
	var have, now unix.Stat_t
	if err := unix.Fstat(fm.fd, &have); err != nil {
		return "", err
	}
	if err := unix.Stat(fm.path, &now); err != nil {
		return "", err
	}
	if have.Dev != now.Dev || have.Ino != now.Ino {
		return "", fmt.Errorf("%s was replaced since the former cfkd started", fm.path)
	}
	return fm.path, nil
}

// logTo is cfkd's log, once set up: fail says it there, and syncs it
// before the exec.
func (a *adoption) logTo(log *logrus.Logger, router *logconf.Router) {
	if a != nil {
		a.log, a.router = log, router
	}
}

// fail is what the new cfkd of an upgrade in place does with err, a
// failure before it took the services over: it logs it and execs the
// former binary back (rollBack), which adopts them again; it returns err
// only when it cannot (no former binary named, or this cfkd is that
// former one already, or the exec failed). Before cfkd's log is set up
// (logTo), the flags' log configuration is read for it. A nil adoption
// (a plain start) returns err.
func (a *adoption) fail(f Flags, err error) error {
	if a == nil {
		return err
	}
	say := func(msg string) { a.say(f, msg) }
	if !a.canRollBack(f, err) || a.raw == nil {
		return err
	}
	say(fmt.Sprintf("upgrade: cfkd %s failed before it took the services over: %v: rolling back to the former cfkd (%s)", messages.Version, err, a.former.path))
	rerr := a.rollBack(f, err)
	say(fmt.Sprintf("upgrade: the rollback to %s failed: %v: cfkd stops here", a.former.path, rerr))
	return err
}

// say logs msg in cfkd's log, once set up (logTo), else in the one the
// flags' log configuration names; on stderr too when the log did not
// take it in time.
func (a *adoption) say(f Flags, msg string) {
	if a.log == nil {
		logAfterExec(f, errors.New(msg))
		return
	}
	a.log.Error(msg)
	if !a.router.SyncWithin(2 * time.Second) { // bounded, as the upgrade's own
		fmt.Fprintln(nowait.Stderr, msg) // queued, flushed before the exec (REFERENCE §7.4)
	}
}

// canRollBack says whether there is a former binary to roll back to; a
// cfkd that is that former one already says that the rollback failed too
// (err: why).
func (a *adoption) canRollBack(f Flags, err error) bool {
	if a.former == nil || a.former.fd < 0 {
		if a.former != nil && a.former.rolledBack != "" {
			a.say(f, fmt.Sprintf("upgrade: the rollback failed too (this cfkd %s is the former one): %v: cfkd stops here", messages.Version, err))
		}
		return false
	}
	return true
}

// rollbackReason is rollbackEnv's value: this cfkd, and why it failed.
func rollbackReason(why error) string {
	exe, _ := os.Executable()
	return strings.Join(strings.Fields(fmt.Sprintf("cfkd %s (%s): %v", messages.Version, exe, why)), " ")
}

// rollBack execs the former binary with the fds and the state it handed
// over; it returns only when it could not.
func (a *adoption) rollBack(f Flags, why error) error {
	path, err := a.former.execPath()
	if err != nil {
		return err
	}
	// the state as the former cfkd wrote it (this cfkd removed it once read)
	if err := upgrade.WriteBytes(a.file, a.raw); err != nil {
		return err
	}
	// and its copy, which the former cfkd adopts (statecopy.go)
	cp, copyVar, err := stateCopy(f.Home, a.raw, f.execs)
	if err != nil {
		os.Remove(a.file)
		return err
	}
	defer cp.Close() // still here: the exec failed
	var fds []int
	if a.st != nil {
		fds = a.st.Fds()
	}
	if err := setInherit(fds, true); err != nil {
		os.Remove(a.file)
		return err
	}
	env := append(rollbackEnvOf(a.file, f, why), copyVar)
	err = execInPlace(path, os.Args, env)
	setInherit(fds, false)
	os.Remove(a.file)
	return fmt.Errorf("exec %s: %w", path, err)
}

// rollbackEnvOf is the environment of the exec back to the former
// binary, its state in file.
func rollbackEnvOf(file string, f Flags, why error) []string {
	env := withoutVar(os.Environ(), upgrade.Env, stateFdEnv, ignoredEnv, rollbackEnv, formerEnv, execsEnv, shKeepsEnv)
	// the hubs the former cfkd told it was leaving: the cfkd rolled back
	// to tells them it is back, as the one that failed would have
	env = withFleetHubs(env, f.fleetHubs)
	return append(env, upgrade.Env+"="+file, ignoredVar(f.startIgnored), rollbackEnv+"="+rollbackReason(why), execsVar(f.execs))
}

// rolledBackText is what a cfkd exec'd back by a rollback says of it,
// why: the failed cfkd and its reason.
func rolledBackText(why string) string {
	return fmt.Sprintf("the upgrade in place failed and was rolled back: %s: cfkd %s, the former one, took every service over again", why, messages.Version)
}

// said records in o what the upgrade this cfkd adopted the services from
// did: upgraded, or rolled back.
func (a *adoption) said(o *outcome) {
	if why := a.rolledBack(); why != "" {
		o.set(upgradedRolledBack, rolledBackText(why))
		return
	}
	o.set(upgradedOK, fmt.Sprintf("upgraded in place from cfkd %s to cfkd %s", a.st.CfkdVersion, messages.Version))
}

// rolledBack is why the upgrade this cfkd adopted the services from was
// rolled back ("" when it was not: this cfkd is not a rollback).
func (a *adoption) rolledBack() string {
	if a == nil || a.former == nil {
		return ""
	}
	return a.former.rolledBack
}
