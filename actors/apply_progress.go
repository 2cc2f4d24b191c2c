package actors

import (
	"fmt"
	"strings"
	"time"

	"github.com/cfk/cfk/messages"
)

// This file says how far the apply in its second half got (apply.go,
// REFERENCE §1.4): in the refusal of another apply, in the note of a dry
// run, and in a record as its rolling restart goes to each service.

// describe is the apply under way, as a refusal and a dry run's note
// name it: `an apply is under way (from PEER since TIME: rolling
// restart, 1 of 3 done, waiting for 'web2' to be running)`.
func (r *applyRun) describe() string {
	var b strings.Builder
	b.WriteString(messages.ApplyUnderWay + " (")
	if r.from != "" {
		b.WriteString("from " + r.from + " ")
	}
	b.WriteString("since " + r.since.Format(time.DateTime) + ": " + r.phase)
	if g := r.g; g != nil {
		done, total, waiting, until := applyProgress(g)
		fmt.Fprintf(&b, ", %d of %d done", done, total)
		if len(waiting) > 0 {
			b.WriteString(", waiting for " + waitedNames(waiting))
			if until != "" {
				b.WriteString(" to be " + until)
			}
		}
	}
	b.WriteString(")")
	return b.String()
}

// refusal is the error of an apply that comes while r is under way: who
// and how far, and what ends its wait.
func (r *applyRun) refusal() error {
	hint := ""
	if g := r.g; g != nil {
		if _, _, waiting, _ := applyProgress(g); len(waiting) > 0 {
			hint = " (a stop of " + waitedNames(waiting) + " ends its wait)"
		}
	}
	return fmt.Errorf("%s: try again once it is done%s", r.describe(), hint)
}

// applyProgress is how far g got: its selected services settled, out of
// all of them, and the services it asked and waits for, and until what
// when it waits for them to be up again, a rolling restart's: `running`,
// `done` for oneshots (which are never running, REFERENCE §2.10),
// `running or done` for both; "" when it waits for none so.
func applyProgress(g *gather) (done, total int, waiting []string, until string) {
	var running, oneshot bool
	for _, s := range g.all {
		if s.selected {
			total++
			if s.released {
				done++
			}
		}
		if s.decided && !s.released && !s.cancelled {
			waiting = append(waiting, s.e.cfg.Name)
			if s.untilRunning || s.confirm {
				oneshot = oneshot || s.e.cfg.OneShot
				running = running || !s.e.cfg.OneShot
			}
		}
	}
	switch {
	case running && oneshot:
		until = "running or done"
	case oneshot:
		until = "done"
	case running:
		until = "running"
	}
	return done, total, waiting, until
}

// maxWaitedNames is how many of the services an apply under way waits
// for its description names, the others counted: an apply of 300
// services waits for as many at once, and each refusal, each dry run's
// note and each cfkctl waiting on it named them all, twice (REFERENCE
// §1.4).
const maxWaitedNames = 5

// waitedNames is names quoted, the first maxWaitedNames of them and the
// count of the others: `'a', 'b', 'c', 'd', 'e' and 3 others`.
func waitedNames(names []string) string {
	if len(names) <= maxWaitedNames {
		return quotedNames(names)
	}
	return fmt.Sprintf("%s and %d others", quotedNames(names[:maxWaitedNames]), len(names)-maxWaitedNames)
}

func quotedNames(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "'" + n + "'"
	}
	return strings.Join(q, ", ")
}

// applyAsked records each service the apply's rolling restart goes to,
// and warns when its readiness has no timeout (ready_timeout_secs=0):
// the roll, and with it every other apply, may wait for it for ever
// (REFERENCE §1.4, §2.9).
func (c *Controller) applyAsked(run *applyRun, s *step) {
	if !run.rolling || s.verb != messages.VerbRollingRestart {
		return
	}
	name := s.e.cfg.Name
	log := c.log.WithField("service", name)
	if s.e.cfg.Ready != "" && s.e.cfg.ReadyTimeout == 0 {
		log.Warnf("apply: rolling restart of '%s': waiting for it to be ready, with no ready_timeout_secs: "+
			"other applies are refused until it is (a stop of '%s' ends the wait)", name, name)
		return
	}
	if s.e.cfg.OneShot { // never running: its rolling restart waits for its clean exit (REFERENCE §2.10)
		log.Infof("apply: rolling restart of '%s': waiting for it to be done", name)
		return
	}
	log.Infof("apply: rolling restart of '%s': waiting for it to be running", name)
}
