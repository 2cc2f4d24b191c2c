package rights

import (
	"fmt"

	"github.com/cfk/cfk/messages"
)

// Level is what a peer may do (REFERENCE §5.1). The zero Level is None.
type Level uint8

// The levels, each allowing what the ones below it allow.
const (
	// None: nothing but `auth` and `exit` (a TCP client that has not
	// authenticated yet).
	None Level = iota
	// Read: what only looks: status, desc, pids, inspect, list, version,
	// sockets, proxystatus, events, tail, apply dry-run.
	Read
	// Operate: Read, and what changes the state of what is declared:
	// start, stop, up, down, restart, rollingrestart, signal, proxyup,
	// proxydown.
	Operate
	// Admin: everything: declarations, bind, unbind, destroy, apply,
	// shutdown, upgrade, and any verb the table does not name.
	Admin
)

var levelNames = [...]string{None: "none", Read: "read", Operate: "operate", Admin: "admin"}

// String is the level's name: none, read, operate or admin.
func (l Level) String() string {
	if int(l) < len(levelNames) {
		return levelNames[l]
	}
	return fmt.Sprintf("level(%d)", uint8(l))
}

// ParseLevel reads read, operate or admin (exactly, lower case). None is
// not a level one can be given.
func ParseLevel(s string) (Level, error) {
	switch s {
	case "read":
		return Read, nil
	case "operate":
		return Operate, nil
	case "admin":
		return Admin, nil
	}
	return None, fmt.Errorf("unknown level %q (want read, operate or admin)", s)
}

// Allows reports whether a peer holding l may run what needs need.
func (l Level) Allows(need Level) bool { return l >= need }

// verbLevels is the rights table of the verbs (REFERENCE §5.1). A verb
// that is not here needs Admin (VerbLevel): upgrade, and whatever verb is
// added to package messages before it is added here. Verbs are named by
// their text, so that the table can name verbs package messages does not
// declare yet.
var verbLevels = map[messages.Verb]Level{
	messages.VerbStatus:      Read,
	messages.VerbDesc:        Read,
	messages.VerbPids:        Read,
	messages.VerbInspect:     Read,
	messages.VerbList:        Read,
	messages.VerbVersion:     Read,
	messages.VerbSockets:     Read,
	messages.VerbProxyStatus: Read,
	messages.VerbUpgraded:    Read,
	"events":                 Read,
	"tail":                   Read,

	messages.VerbStart:          Operate,
	messages.VerbStop:           Operate,
	messages.VerbUp:             Operate,
	messages.VerbDown:           Operate,
	messages.VerbRestart:        Operate,
	messages.VerbRollingRestart: Operate,
	messages.VerbSignal:         Operate,
	messages.VerbProxyUp:        Operate,
	messages.VerbProxyDown:      Operate,

	messages.VerbDestroy:  Admin,
	messages.VerbBind:     Admin,
	messages.VerbUnbind:   Admin,
	messages.VerbApply:    Admin,
	messages.VerbShutdown: Admin,
	messages.VerbUpgrade:  Admin,
}

// VerbLevel is the level `command VERB ...` needs; Admin for a verb the
// table does not name.
func VerbLevel(v messages.Verb) Level {
	if l, ok := verbLevels[v]; ok {
		return l
	}
	return Admin
}

// Verbs returns the verbs the table names, with their levels (a copy).
func Verbs() map[messages.Verb]Level {
	m := make(map[messages.Verb]Level, len(verbLevels))
	for v, l := range verbLevels {
		m[v] = l
	}
	return m
}

// Required is the level st needs: Admin for a declaration (service,
// socket, proxy), the verb's for a `command` line, Read for an apply dry
// run (it only computes the plan) and Admin for an apply (a PendingApply
// alike, before the add_env of its DATA is known); Admin for any
// statement it does not know. A dry run that declares add_env needs
// Admin: its plan says whether each value is the one in force, which a
// read peer cannot see (inspect shows no environment), and would be an
// oracle for guessing it.
func Required(st messages.Statement) Level {
	switch s := st.(type) {
	case messages.ControlCommand:
		return VerbLevel(s.Verb)
	case messages.Apply:
		if s.DryRun && !s.Want.HasEnv() {
			return Read
		}
		return Admin
	case messages.PendingApply:
		// what it needs at least, before its DATA is decoded: the Apply
		// it decodes to is checked again (add_env)
		if s.DryRun {
			return Read
		}
		return Admin
	case messages.Fleet:
		return fleetLevel(s)
	}
	return Admin
}

// fleetLevel is the level `command fleet ...` needs on the hub (REFERENCE
// §12.5): what its hosts are asked to run needs (the most any of its lines
// needs), and Read at least (`fleet hosts`, `fleet status`, `fleet
// events`). The hosts check it again with the hub's own rights.
func fleetLevel(f messages.Fleet) Level {
	l := Read
	for _, c := range f.Commands {
		l = max(l, VerbLevel(c.Verb))
	}
	return l
}

// Check says whether a peer holding have may run st: nil, or
// messages.ErrNotAuthorized (`not authorized`, the original's text).
func Check(have Level, st messages.Statement) error {
	if have.Allows(Required(st)) {
		return nil
	}
	return messages.ErrNotAuthorized
}
