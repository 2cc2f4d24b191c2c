package daemon

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cfk/cfk/actors"
)

// What the last upgrade in place did, as `command upgraded` answers it
// (REFERENCE §13.4): EXECS KIND TIME TEXT, tab-separated. EXECS counts the
// execs in place this process went through (an upgrade's, a rollback's),
// carried across each by execsEnv: `cfkctl upgrade` asks before its
// upgrade and after, and tells a cfkd exec'd since (a higher count) from
// the one that answered before (the same count), whatever their versions
// say. KIND is none, upgraded, rolled-back or exec-failed; TIME when (unix
// seconds); TEXT what cfkd logged of it.

// execsEnv is the number of execs in place the new cfkd's process has
// gone through (unset at once: no service inherits it).
const execsEnv = "_CFKD_UPGRADE_EXECS"

// The kinds of outcome.
const (
	upgradedNone       = "none"
	upgradedOK         = "upgraded"
	upgradedRolledBack = "rolled-back"
	upgradedExecFailed = "exec-failed"
)

// execsFromEnv reads and unsets execsEnv: 0 when unset or not a count.
func execsFromEnv() int {
	v, ok := os.LookupEnv(execsEnv)
	os.Unsetenv(execsEnv)
	n, err := strconv.Atoi(v)
	if !ok || err != nil || n < 0 {
		return 0
	}
	return n
}

// execsVar is execsEnv's entry for the exec of a process that went
// through execs of them.
func execsVar(execs int) string { return execsEnv + "=" + strconv.Itoa(execs+1) }

// outcome is what the last upgrade in place did, for `command upgraded`.
type outcome struct {
	execs int
	line  atomic.Pointer[string]
}

// set records the last upgrade's kind and text, now.
func (o *outcome) set(kind, text string) {
	text = strings.Join(strings.Fields(text), " ") // one line, no tab
	l := fmt.Sprintf("%d\t%s\t%d\t%s", o.execs, kind, time.Now().Unix(), text)
	o.line.Store(&l)
}

// get is the line: Options.Upgraded.
func (o *outcome) get() string {
	if l := o.line.Load(); l != nil {
		return *l
	}
	if o.execs == 0 {
		return actors.NoUpgrade
	}
	return fmt.Sprintf("%d\t%s\t0\t", o.execs, upgradedNone)
}
