package daemon

import "github.com/cfk/cfk/osproc"

// maxLateRounds bounds the rounds of a stop's clean-up that take late
// orphans (below): a daemon that forks a successor each time it is told
// to end would otherwise keep the rounds going forever. Past it, what is
// left is ended at a later stop of the service or at cfkd's shutdown.
const maxLateRounds = 16

// launchWatch is the first launch of a service's own process since a
// stop's scan began: 0 while there has been none. A late orphan, one
// that started after the scan (a daemon forked by a daemon of the
// stopped run as it handled its SIGTERM, a successor), belongs to the
// stopped run when it carries that run's CFK_RUN_ID (inherited from the
// process it was forked by), whenever it started: a new run's carry
// another, so they are kept. One that carries none (its daemon cleared
// its environment, or the stopped run was launched by the cfkd an
// upgrade in place replaced, which set none or whose id is not known)
// belongs to the stopped run when it started before that launch: a new
// run's processes start at or after it (the clock is read before the
// fork), to the 10 ms of a process's start time (REFERENCE §7.5). A
// restart launches the new run right after the scan, before the stopped
// run's daemons, told to end, fork their successors: only the run id
// tells those from the new run's.
type launchWatch struct{ first uint64 }

// watchLaunches begins to watch the launches of the services named, for
// the rounds of one clean-up; unwatchLaunches ends it.
func (k *orphanKiller) watchLaunches(names map[string]map[string]bool) map[string]*launchWatch {
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

// launching notes a launch of service name's own process, before its fork.
func (k *orphanKiller) launching(name string) {
	now := max(osproc.BootTicks(), 1) // 0 would say "no launch": the clock failed, and no late orphan is taken
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, w := range k.watches[name] {
		if w.first == 0 {
			w.first = now
		}
	}
}

// late says whether o is a late orphan of a stopped run watched in ws,
// whose runs are those that exited: started at or after the scan
// (scanned), of one of those runs by its run id, or, when o or a run
// that exited has none, before its service's next launch.
func (k *orphanKiller) late(ws map[string]*launchWatch, runs map[string]map[string]bool, o osproc.Orphan, scanned uint64) bool {
	w := ws[o.Service]
	if w == nil || o.Start < scanned {
		return false
	}
	if exited := runs[o.Service]; o.Run != "" && !exited[""] {
		return exited[o.Run]
	}
	k.mu.Lock()
	first := w.first
	k.mu.Unlock()
	return first == 0 || o.Start < first
}
