package actors

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cfk/cfk/osproc"
)

// lostStart is a start whose process cfkd cannot end when the proxy's
// run ends: the proxy never reported it (it may have forked the process,
// which then runs with nobody knowing its pid), or reported a pid cfkd
// took no handle on (the proxy died before the reader took it, and the
// process, cfkd's now, was no longer the proxy's child; REFERENCE §4.5).
// sent is when the start line was sent (osproc.BootTicks).
type lostStart struct {
	name string
	sent uint64
}

// lostRun is what a run that ended left unreported, until its process's
// exit: only then are the processes it forked cfkd's, to be found.
type lostRun struct {
	starts []lostStart
	end    uint64 // when the run was taken for gone (osproc.BootTicks)
}

// loseStarts keeps the starts of the run that ends that wait for their
// pid or whose process cfkd holds no handle on, the given-up ones too
// (their process is a stray), to be ended once its process has exited
// (reaped: it did, now); not those whose line was still held in the
// backlog (proxy_backlog.go), which the proxy never had. The whole table is dropped by gone right after.
func (p *Proxy) loseStarts(run uint64, reaped bool) {
	var lost []lostStart
	for _, name := range sortedKeys(p.starts) {
		for _, st := range p.starts[name] {
			if st.line != nil && !st.line.released {
				continue // held in cfkd's backlog, never written: nothing forked
			}
			if (st.pid == 0 || st.unheld) && st.sent != 0 { // 0: no clock to tell its processes by
				lost = append(lost, lostStart{name: name, sent: st.sent})
			}
		}
	}
	if len(lost) == 0 {
		return
	}
	lr := lostRun{starts: lost, end: osproc.BootTicks()}
	if reaped {
		p.endLost(lr)
		return
	}
	if p.lost == nil {
		p.lost = map[uint64]lostRun{}
	}
	p.lost[run] = lr // ended at the exit of that run, come late (exited)
}

// endLost ends what the proxy forked for the starts it never reported:
// its process is reaped, the processes it forked are cfkd's orphans now.
//
// A line a service, up to lostLines of them; past that, one line names
// them all (a proxy that died before it read its first start lines, its
// preload failing, left one warning, so one event, per service: 220 of
// them for a proxy of 220 services).
func (p *Proxy) endLost(lr lostRun) {
	ender, ok := p.opts.Launcher.(LostStartEnder)
	var names []string // lr.starts are by name
	for _, l := range lr.starts {
		if len(names) == 0 || names[len(names)-1] != l.name {
			names = append(names, l.name)
		}
	}
	one, many := "ending the process it may have forked for it", "ending the processes it may have forked for them"
	if !ok {
		one, many = "a process it forked for it may run on, unsupervised", "the processes it forked for them may run on, unsupervised"
	}
	if len(names) > lostLines {
		p.log.Warnf("proxy '%s' ended before cfkd held the processes of %d services (%s): %s",
			p.cfg.Name, len(names), namesText(names, 10), many)
	}
	for _, l := range lr.starts {
		if len(names) <= lostLines {
			p.log.WithField("service", l.name).Warnf("proxy '%s' ended before cfkd held the process of '%s': %s", p.cfg.Name, l.name, one)
		}
		if ok {
			ender.EndLostStart(l.name, l.sent, lr.end+1)
		}
	}
}

// lostLines is how many services endLost says the lost starts of one a
// line.
const lostLines = 3

// namesText is names quoted and joined, the first max of them, then how
// many more: `'a', 'b' and 3 more`.
func namesText(names []string, max int) string {
	shown := names[:min(len(names), max)]
	q := make([]string, len(shown))
	for i, n := range shown {
		q[i] = "'" + n + "'"
	}
	text := strings.Join(q, ", ")
	if more := len(names) - len(shown); more > 0 {
		text += fmt.Sprintf(" and %d more", more)
	}
	return text
}

// lostHandle says whether cfkd took no handle on the process a started
// reports where it could have: not for want of pidfds (REFERENCE §11),
// where it never holds one.
func lostHandle(m proxyReportedStarted) bool {
	return m.proc == nil && m.handleErr != nil && !errors.Is(m.handleErr, osproc.ErrNoHandle)
}

// endGivenUp ends what the process of a start the service gave up left
// behind, once the proxy reports its exit (REFERENCE §4.5, §7.5): that
// process was stopped or killed by cfkd (a `started` come after the
// stop, killed at once; a stop that did not wait for the pid), so its
// end is a stopped run's, and the orphans it left are ended as theirs
// are. Only those of the service started from its start line up to the
// service's next start line (or now): the daemons of the service's
// earlier runs, which may have exited on their own, are older, and those
// of its runs since are the next start's. A start with no clock to tell
// them by (sent 0: no CLOCK_BOOTTIME, or carried by an upgrade in place
// from a cfkd before state version 7) is left as it was.
func (p *Proxy) endGivenUp(name string, st *proxiedStart) {
	ender, ok := p.opts.Launcher.(LostStartEnder)
	if !ok || st.sent == 0 {
		return
	}
	before := st.next
	if before == 0 {
		before = osproc.BootTicks() + 1 // this 10 ms too: it exited before now
	}
	ender.EndLostStart(name, st.sent, before)
}
