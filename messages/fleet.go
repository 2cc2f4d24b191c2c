package messages

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// VerbFleetHosts is the verb of `command fleet hosts`: every host of the
// inventory, whether it answers, its version and round trip. It is a verb
// of `command fleet` only (REFERENCE §12.3).
const VerbFleetHosts = "hosts"

// Fleet is `command fleet [hosts=LIST] [rolling-hosts] VERB [ARG] [SEL...]`
// (REFERENCE §12.3): a request to a hub, which sends VERB's command to the
// hosts of its inventory and gathers their answers.
//
//   - Hosts are the names and @tags of LIST (nil: every host).
//   - Verb is `hosts`, `events` (a stream of every selected host's
//     events), or the verb of a `command` line that each host runs.
//   - Lines are the `command ...` lines each host runs, in order: a verb
//     that acts on services (start, stop, up, down, restart,
//     rollingrestart, destroy, signal) one line with every selector, its
//     services planned together (REFERENCE §1.4), the other verbs one per
//     selector; `all` anywhere stands for all; without a selector, the
//     verb alone. `hosts` has none. Each line is a valid statement
//     (Commands holds it parsed).
//   - OneEach, for a line of several selectors, are its lines one per
//     selector, in order: for a host that refuses several selectors in
//     one request (an older cfkd, IsOneSelectorError). Nil otherwise.
//   - Rolling (`rolling-hosts`, with restart only): one host at a time,
//     each host's lines being `rollingrestart` (its services one at a
//     time, each running again before the next), the next host once the
//     previous one's are all running again.
type Fleet struct {
	Hosts    []string
	Rolling  bool
	Verb     Verb
	Lines    []string
	Commands []ControlCommand
	OneEach  []string
}

// NeedsPrivilege implements Statement: what the hosts run decides.
func (f Fleet) NeedsPrivilege() bool { return false }

// Streams reports whether the request turns its admin connection into a
// stream (`command fleet events`).
func (f Fleet) Streams() bool { return f.Verb == VerbEvents }

var _ Statement = Fleet{}

// ErrFleetNoVerb: `command fleet` without a verb.
var ErrFleetNoVerb = errors.New("fleet needs a verb: command fleet [hosts=LIST] [rolling-hosts] VERB [ARG] [SEL...]")

// ErrFleetHostsTwice and ErrFleetRollingTwice: a word before the verb
// given twice (REFERENCE §12.3).
var (
	ErrFleetHostsTwice   = errors.New("fleet: 'hosts=' given twice: give one list, comma-separated (hosts=a,b)")
	ErrFleetRollingTwice = errors.New("fleet: 'rolling-hosts' given twice")
)

// ErrFleetRollingRestart: `rolling-hosts rollingrestart`, which
// `rolling-hosts restart` says (REFERENCE §12.3).
var ErrFleetRollingRestart = errors.New("rolling-hosts goes with restart only (rolling-hosts restart already restarts each host's services one at a time)")

// parseFleet reads what follows `command fleet` (REFERENCE §12.3).
func parseFleet(args []string) (Statement, error) {
	var f Fleet
	for len(args) > 0 {
		w := args[0]
		if list, ok := strings.CutPrefix(w, "hosts="); ok {
			// two lists were merged: hosts=a hosts=b may well have
			// been meant otherwise (REFERENCE §12.3)
			if f.Hosts != nil {
				return nil, ErrFleetHostsTwice
			}
			hosts, err := parseHostList(list)
			if err != nil {
				return nil, err
			}
			f.Hosts = hosts
		} else if w == "rolling-hosts" {
			if f.Rolling {
				return nil, ErrFleetRollingTwice
			}
			f.Rolling = true
		} else {
			break
		}
		args = args[1:]
	}
	if len(args) == 0 {
		return nil, ErrFleetNoVerb
	}
	f.Verb, args = Verb(args[0]), args[1:]
	switch f.Verb {
	case VerbFleetHosts:
		if len(args) > 0 {
			return nil, fmt.Errorf("'%s' takes no argument", f.Verb)
		}
	case VerbTail, VerbApply, VerbFleet, VerbUpgrade:
		// upgrade: no --fleet-allow word lets a hub run it on a host,
		// which would answer each `not authorized` (REFERENCE §12.5)
		return nil, fmt.Errorf("'%s' does not go over the fleet", f.Verb)
	default:
		if err := f.commands(args); err != nil {
			return nil, err
		}
	}
	// rollingrestart too: it was taken as restart, undocumented
	// (REFERENCE §12.3)
	if f.Rolling && f.Verb == VerbRollingRestart {
		return nil, ErrFleetRollingRestart
	}
	if f.Rolling && f.Verb != VerbRestart {
		return nil, errors.New("rolling-hosts goes with restart only")
	}
	if f.Rolling {
		f.Verb = VerbRestart
		for i := range f.Commands {
			f.Commands[i].Verb = VerbRollingRestart
			f.Lines[i] = commandLine(f.Commands[i])
		}
	}
	f.together()
	if f.Hosts == nil && len(f.Lines) == 0 && f.Verb != VerbFleetHosts {
		return nil, ErrFleetNoVerb // cannot happen: every other verb makes a line
	}
	return f, nil
}

// commands makes the lines of a verb that the hosts run: the verb's
// argument (signal, proxyup, proxydown, bind, unbind take one), then its
// selectors, one line each.
func (f *Fleet) commands(args []string) error {
	// an unknown verb first: `command fleet Hosts=a status` said
	// `unknown selector 'status'` (REFERENCE §12.3)
	if _, err := parseCommand(string(f.Verb)); errors.Is(err, ErrUnknownCommand) {
		return err
	}
	var arg []string
	switch f.Verb {
	case VerbSignal, VerbProxyUp, VerbProxyDown, VerbBind, VerbUnbind:
		if len(args) > 0 {
			arg, args = args[:1], args[1:]
		}
	}
	sels, err := parseSelectors(args)
	if err != nil {
		return err
	}
	if f.Verb == VerbEvents && len(sels) > 1 {
		return errors.New("fleet events takes one selector at most")
	}
	if len(sels) == 0 {
		sels = [][]string{nil}
	}
	for _, sel := range sels {
		words := append(append([]string{string(f.Verb)}, arg...), sel...)
		st, err := parseCommand(strings.Join(words, " "))
		if err != nil {
			return err
		}
		cmd, ok := st.(ControlCommand)
		if !ok {
			return fmt.Errorf("'%s' does not go over the fleet", f.Verb)
		}
		f.Commands = append(f.Commands, cmd)
		f.Lines = append(f.Lines, "command "+strings.Join(words, " "))
	}
	return nil
}

// together makes the lines of a verb that acts on services, given
// several selectors, one line (REFERENCE §1.4, §12.3): sent one per
// selector, `stop service db service app` (app requires db) stopped app
// with db, then failed `Service 'app' is already down`, and the host's
// part ended there, while `stop service app service db` went well. The
// lines one per selector are kept in OneEach, for a host that takes one
// selector a request.
func (f *Fleet) together() {
	if len(f.Commands) < 2 {
		return
	}
	switch f.Commands[0].Verb {
	case VerbStart, VerbStop, VerbUp, VerbDown, VerbRestart, VerbRollingRestart, VerbDestroy, VerbSignal:
	default:
		return // status, desc, pids, inspect: one selector each
	}
	one := f.Commands[0]
	for _, c := range f.Commands[1:] {
		one.More = append(one.More, c.Sel)
	}
	f.OneEach = f.Lines
	f.Commands = []ControlCommand{one}
	f.Lines = []string{commandLine(one)}
}

// commandLine writes a selector command back as its line.
func commandLine(c ControlCommand) string {
	s := "command " + string(c.Verb)
	if c.Arg != "" {
		s += " " + c.Arg
	}
	for _, sel := range c.Selectors() {
		switch sel.Kind {
		case SelectAll:
			s += " all"
		case SelectService:
			s += " service " + sel.Name
		case SelectTag:
			s += " tag " + sel.Name
		}
	}
	return s
}

// parseSelectors reads a sequence of selectors (`service NAME`, `tag TAG`,
// `all`), each as its words; `all` anywhere makes the sequence `all`
// alone, and a selector given twice counts once.
func parseSelectors(args []string) ([][]string, error) {
	var out [][]string
	all := false
	seen := map[string]bool{}
	for len(args) > 0 {
		n := 2
		switch args[0] {
		case "all":
			n, all = 1, true
		case "service", "tag":
			if len(args) < 2 {
				_, err := parseSelector(args)
				return nil, err
			}
		default:
			return nil, fmt.Errorf("unknown selector '%s'", args[0])
		}
		if key := strings.Join(args[:n], " "); !seen[key] {
			seen[key] = true
			out = append(out, args[:n:n])
		}
		args = args[n:]
	}
	if all {
		return [][]string{{"all"}}, nil
	}
	return out, nil
}

// parseHostList reads LIST of hosts=LIST: host names and @tags, comma
// separated, each kept once (REFERENCE §12.3). An empty entry (`a,,b`,
// `a,`) is refused: it was dropped, and may have been a name left out.
func parseHostList(list string) ([]string, error) {
	if list == "" {
		return nil, errors.New("hosts= needs host names or @tags")
	}
	var out []string
	for _, h := range strings.Split(list, ",") {
		if h == "" {
			return nil, fmt.Errorf("fleet: empty host name in hosts=%s (host names and @tags, comma separated)", list)
		}
		name, tag := strings.CutPrefix(h, "@")
		if tag && !tagRe.MatchString(name) || !tag && !ValidName(name) {
			return nil, fmt.Errorf("invalid host '%s' in hosts= (want host names and @tags)", h)
		}
		if !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	return out, nil
}

// ValidHostName reports whether s may name a host of a fleet: as a
// service name (ValidName).
func ValidHostName(s string) bool { return ValidName(s) }

// ValidTag reports whether s is a valid tag: letters, digits, `_`, `.`
// and `-`.
func ValidTag(s string) bool { return tagRe.MatchString(s) }

// IsDoneLine reports whether l is the `done N` line that opens the reply
// of a verb acting on services (REFERENCE §1.4); the reply's other lines
// are `NAME: MESSAGE`, one per service that failed.
func IsDoneLine(l string) bool { return doneLineRe.MatchString(l) }

var doneLineRe = regexp.MustCompile(`^done \d+$`)

// FleetBodyFailed reports whether a host's body lines tell of services
// that failed: each line of a command that went well is `done N` (one per
// line the host ran, REFERENCE §1.4), any other is a failure's.
func FleetBodyFailed(lines []string) bool {
	for _, l := range lines {
		if !strings.HasPrefix(l, "done ") {
			return true
		}
	}
	return false
}
