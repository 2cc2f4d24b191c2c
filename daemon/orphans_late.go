package daemon

import "github.com/cfk/cfk/osproc"

// maxLateRounds bounds the rounds of a stop's clean-up that take late
// orphans (below): a daemon that forks a successor each time it is told
// to end would otherwise keep the rounds going forever. Past it, what is
// left is ended at a later stop of the service or at cfkd's shutdown.
const maxLateRounds = 16

// launchWatch is the first launch of a service's own process since a
// stop's scan began (0 while there has been none), and the CFK_RUN_IDs
// of the runs launched since. A late orphan, one that started after the
// scan (a daemon forked by a daemon of the stopped run as it handled its
// SIGTERM, a successor), is a new run's when it carries the CFK_RUN_ID of
// a run launched since the scan (inherited from the process it was
// forked by), and kept; one that carries another is the clean-up's,
// whenever it started: the stopped run's, or that of an earlier run
// whose daemon (kept when that run exited on its own) the clean-up ended
// too. One that carries none (its daemon cleared its environment, or the
// cfkd an upgrade in place replaced set none) belongs to the stopped run
// when it started before that first launch: a new run's processes start
// at or after it (the clock is read before the fork), to the 10 ms of a
// process's start time (REFERENCE §7.5). A restart launches the new run
// right after the scan, before the stopped run's daemons, told to end,
// fork their successors: only the run id tells those from the new run's.
type launchWatch struct {
	first uint64
	runs  map[string]bool // the run ids launched since the scan began
}

// watchLaunches begins to watch the launches of the services named, for
// the rounds of one clean-up; unwatchLaunches ends it.
func (k *orphanKiller) watchLaunches(names map[string]bool) map[string]*launchWatch {
	ws := map[string]*launchWatch{}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.watches == nil {
		k.watches = map[string][]*launchWatch{}
	}
	for name := range names {
		w := &launchWatch{}
		ws[name] = w
		k.watches[name] = append(k.watches[name], w)
	}
	return ws
}

func (k *orphanKiller) unwatchLaunches(ws map[string]*launchWatch) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for name, w := range ws {
		rest := k.watches[name][:0]
		for _, x := range k.watches[name] {
			if x != w {
				rest = append(rest, x)
			}
		}
		if len(rest) == 0 {
			delete(k.watches, name)
		} else {
			k.watches[name] = rest
		}
	}
}

// launching notes a launch of service name's own process, run its
// CFK_RUN_ID ("" for none), before its fork.
func (k *orphanKiller) launching(name, run string) {
	now := max(osproc.BootTicks(), 1) // 0 would say "no launch": the clock failed, and no late orphan is taken
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, w := range k.watches[name] {
		if w.first == 0 {
			w.first = now
		}
		if run != "" {
			if w.runs == nil {
				w.runs = map[string]bool{}
			}
			w.runs[run] = true
		}
	}
}

// late says whether o is a late orphan of a stopped run watched in ws:
// started at or after the scan (scanned), and, by its run id, of no run
// launched since, or, when it has none, started before its service's
// next launch.
func (k *orphanKiller) late(ws map[string]*launchWatch, o osproc.Orphan, scanned uint64) bool {
	w := ws[o.Service]
	if w == nil || o.Start < scanned {
		return false
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if o.Run != "" {
		return !w.runs[o.Run]
	}
	return w.first == 0 || o.Start < w.first
}
