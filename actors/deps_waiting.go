package actors

import (
	"slices"
)

// startWaits maps each service that a verb, asked and not begun on it
// yet, holds back to the services it waits for (inspect's waiting_for,
// REFERENCE §1.6, §2.8): the steps it comes after that are not released
// yet (for a start, what it requires, until each runs, or is done for a
// oneshot; the one before it in a rolling restart; for a stop, what
// requires it, until each is down), and the service of another request's
// change it is parked on (rerun.go), but its own: a restart parked on a
// stop of its service waits for what that stop waits for. A `start app` whose db never gets ready
// leaves app `stopped`, and a `stop db` whose app ignores SIGTERM leaves
// db `running` for stopwait_secs: this is how a user tells that each
// waits, and for what, rather than nothing asked. Each list is in name
// order, each name once.
func (c *Controller) startWaits() map[*entry][]string {
	out := map[*entry][]string{}
	for _, g := range c.liveGathers() {
		for _, s := range g.all {
			if s.decided {
				continue
			}
			l := out[s.e]
			for _, p := range s.after {
				if !p.released {
					l = append(l, p.e.cfg.Name)
				}
			}
			if s.parkedOn != nil && s.parkedOn.e != s.e {
				// a restart parked on a stop of its own service waits
				// for what that stop waits for, listed with it (rerun.go)
				l = append(l, s.parkedOn.e.cfg.Name)
			}
			if len(l) > 0 {
				out[s.e] = l
			}
		}
	}
	for e, l := range out {
		slices.Sort(l)
		out[e] = slices.Compact(l)
	}
	return out
}
