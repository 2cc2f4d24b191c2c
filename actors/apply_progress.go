package actors

import (
	"fmt"
	"strings"
	"time"

	"github.com/cfk/cfk/messages"
)

// This file says how far the apply in its second half got (apply.go,
// REFERENCE §1.4): in the refusal of another apply, and in the note of a
// dry run.

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
		done, total, waiting, running := applyProgress(g)
		fmt.Fprintf(&b, ", %d of %d done", done, total)
		if len(waiting) > 0 {
			b.WriteString(", waiting for " + quotedNames(waiting))
			if running {
				b.WriteString(" to be running")
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
			hint = " (a stop of " + quotedNames(waiting) + " ends its wait)"
		}
	}
	return fmt.Errorf("%s: try again once it is done%s", r.describe(), hint)
}

// applyProgress is how far g got: its selected services settled, out of
// all of them, and the services it asked and waits for (running: one of
// them for it to be running again, a rolling restart's).
func applyProgress(g *gather) (done, total int, waiting []string, running bool) {
	for _, s := range g.all {
		if s.selected {
			total++
			if s.released {
				done++
			}
		}
		if s.decided && !s.released && !s.cancelled {
			waiting = append(waiting, s.e.cfg.Name)
			running = running || s.untilRunning || s.confirm
		}
	}
	return done, total, waiting, running
}

func quotedNames(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "'" + n + "'"
	}
	return strings.Join(q, ", ")
}
