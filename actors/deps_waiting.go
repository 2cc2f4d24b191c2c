package actors

import (
	"slices"
)

// startWaits maps each service that a start, asked and not launched yet,
// holds back to the services that start waits for (inspect's
// waiting_for, REFERENCE §1.6, §2.8): the steps it comes after that are
// not released yet (what it requires, until each runs, or is done for a
// oneshot; the one before it in a rolling restart), and the restart of
// another request it is parked on (rerun.go). A `start app` whose db
// never gets ready leaves app `stopped`, and this is how a user tells
// that app is waiting, and for what, rather than not asked. Each list is
// in name order, each name once.
func (c *Controller) startWaits() map[*entry][]string {
	out := map[*entry][]string{}
	for _, g := range c.liveGathers() {
		for _, s := range g.all {
			if s.decided || !startsServices(s.verb) {
				continue
			}
			l := out[s.e]
			for _, p := range s.after {
				if !p.released {
					l = append(l, p.e.cfg.Name)
				}
			}
			if s.parkedOn != nil {
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
