package actors

// What a proxy's run holds of each service name (Proxy.names).

// proxiedName is what a run of a proxy knows of one service name. Its
// entry in proxiedNames is dropped once none of this is left.
type proxiedName struct {
	// asked: the run was asked to start a service of that name, ref is
	// the latest start; cleared once the service is down and no process
	// of it is left to report (Proxy.forgetIfGone)
	asked bool
	ref   proxiedRef
	// pid: its process, as reported started (0: none)
	pid int
	// lastPid: the pid of its process reported stopped, until its next
	// start is sent: its last lines come on the log pipe, which the
	// proxy may write after the status pipe's stopped (REFERENCE §4.4:
	// logged with that pid). At most maxLastPids names have one: they
	// are needed for moments, and a service destroyed is never started
	// again. It crosses an upgrade in place (upgrade.ProxiedService.LastPid)
	lastPid int
	// decl: the declaration (Tail.declare) of the service the name was
	// last started for in this run: the lines the proxy forwards for
	// that name are kept in that declaration's tail only (REFERENCE
	// §6.4), not in a service of the name declared since (destroyed and
	// declared again, not started under this proxy since); formerTailGen
	// for a former declaration's, carried by an upgrade in place. 0
	// (none: a name started long ago, past the bound, or a run adopted
	// from a cfkd that did not carry it, for a name no service has):
	// kept in whichever is declared. At most maxLastPids names have one,
	// as lastPid
	decl uint64
}

// proxiedNames is the record of a proxy's run by service name, with the
// counts of the names that have a lastPid and a decl (each bounded by
// maxLastPids: past it, all of them are cleared).
type proxiedNames struct {
	byName          map[string]*proxiedName
	lastPids, decls int
}

// maxLastPids bounds the names that have a lastPid, and those that have
// a decl (proxiedName).
const maxLastPids = 1024

func newProxiedNames() proxiedNames {
	return proxiedNames{byName: map[string]*proxiedName{}}
}

// of is the record of name (zero when there is none).
func (ns *proxiedNames) of(name string) proxiedName {
	if n := ns.byName[name]; n != nil {
		return *n
	}
	return proxiedName{}
}

// entry is the record of name, made if there is none.
func (ns *proxiedNames) entry(name string) *proxiedName {
	n := ns.byName[name]
	if n == nil {
		n = &proxiedName{}
		ns.byName[name] = n
	}
	return n
}

// tidy drops the record of name once nothing is left in it.
func (ns *proxiedNames) tidy(name string) {
	if n := ns.byName[name]; n != nil && *n == (proxiedName{}) {
		delete(ns.byName, name)
	}
}

// sent notes the start ref of name sent, for its declaration decl: a
// pid reported since is of a former process, and so is its lastPid (its
// lines from now on may be the new process's).
func (ns *proxiedNames) sent(name string, ref proxiedRef, decl uint64) {
	n := ns.entry(name)
	n.asked, n.ref, n.pid = true, ref, 0
	if n.lastPid != 0 {
		n.lastPid = 0
		ns.lastPids--
	}
	if n.decl == 0 && ns.decls >= maxLastPids {
		// names started long ago: theirs are kept in any declaration
		ns.clearDecls()
		n = ns.entry(name)
	}
	ns.setDecl(n, decl)
}

// setDecl gives n the declaration decl.
func (ns *proxiedNames) setDecl(n *proxiedName, decl uint64) {
	switch {
	case n.decl == 0 && decl != 0:
		ns.decls++
	case n.decl != 0 && decl == 0:
		ns.decls--
	}
	n.decl = decl
}

// setLastPid gives n the last pid pid (an upgrade's restore): none past
// maxLastPids, as exited would have cleared them all.
func (ns *proxiedNames) setLastPid(n *proxiedName, pid int) {
	switch {
	case n.lastPid == 0 && pid != 0:
		if ns.lastPids >= maxLastPids {
			return
		}
		ns.lastPids++
	case n.lastPid != 0 && pid == 0:
		ns.lastPids--
	}
	n.lastPid = pid
}

// exited notes the exit of name's process pid, reported: when it is the
// one it ran, its pid is its lastPid from now on.
func (ns *proxiedNames) exited(name string, pid int) {
	n := ns.byName[name]
	if n == nil || n.pid != pid {
		return
	}
	n.pid = 0
	if ns.lastPids >= maxLastPids {
		ns.clearLastPids() // the lines of those exits came long ago
		n = ns.entry(name)
	}
	if n.lastPid == 0 {
		ns.lastPids++
	}
	n.lastPid = pid
}

// forget drops the start the run was asked for name (its lastPid and
// decl stay, for its last lines).
func (ns *proxiedNames) forget(name string) {
	if n := ns.byName[name]; n != nil {
		n.asked, n.ref = false, proxiedRef{}
		ns.tidy(name)
	}
}

func (ns *proxiedNames) clearLastPids() {
	for name, n := range ns.byName {
		n.lastPid = 0
		ns.tidy(name)
	}
	ns.lastPids = 0
}

func (ns *proxiedNames) clearDecls() {
	for name, n := range ns.byName {
		n.decl = 0
		ns.tidy(name)
	}
	ns.decls = 0
}
