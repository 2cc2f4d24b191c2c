package ctl

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/cfk/cfk/internal/suggest"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/protocol"
)

// serviceArgs are the commands whose arguments are service references
// (signal's after its SIG), for unknownServiceHint.
var serviceArgs = map[string]int{
	"status": 0, "start": 0, "stop": 0, "up": 0, "down": 0, "restart": 0, "destroy": 0,
	"signal": 1, "pid": 0, "pids": 0, "desc": 0, "inspect": 0, "events": 0, "tail": 0,
}

// unknownServiceHint is what cfkctl adds, on stderr, to cfkd's `Couldn't
// find a valid service. bailing.` (the original's text, which scripts
// match: printed as it is, REFERENCE §8.3), which does not say which
// reference matched nothing: a line per NAME that cfkd does not declare,
// with the name it likely misspells (or @NAME when it is a tag), and per
// @TAG that no service has. Only for a person (stderr a terminal): a
// script that matches the error sees the requests and the output it saw
// before. "" when err is another, or when that cannot be told.
func unknownServiceHint(o *options, e *env, cmd *command, args []string, err error) string {
	var re *protocol.RemoteError
	skip, ok := serviceArgs[cmd.name]
	if !ok || !e.isTerminal(e.stderr) || !errors.As(err, &re) || re.Msg != messages.ErrNoService.Error() || len(args) <= skip {
		return ""
	}
	refs := args[skip:]
	names, tags, ok := declaredServices(o, e)
	if !ok {
		return ""
	}
	var lines []string
	for _, ref := range refs {
		tag, isTag := strings.CutPrefix(ref, "@")
		switch {
		case ref == "all", !isTag && slices.Contains(names, ref), isTag && (tags == nil || slices.Contains(tags, tag)):
			continue
		case isTag:
			lines = append(lines, fmt.Sprintf("cfkctl: no service has the tag '%s' (cfkctl desc shows the tags)", tag))
		case slices.Contains(tags, ref):
			lines = append(lines, fmt.Sprintf("cfkctl: cfkd has no service '%s' (did you mean '@%s', the services tagged %s?)", ref, ref, ref))
		case suggest.Closest(ref, names) != "":
			lines = append(lines, fmt.Sprintf("cfkctl: cfkd has no service '%s' (did you mean '%s'?)", ref, suggest.Closest(ref, names)))
		default:
			lines = append(lines, fmt.Sprintf("cfkctl: cfkd has no service '%s' (cfkctl list shows those it has)", ref))
		}
	}
	return e.safeErrLines(lines...)
}

// declaredServices is the names of cfkd's services and their tags, asked with
// `command inspect` on a connection of its own; from a cfkd that does not
// know inspect, the names of `command list`, tags nil (unknown).
func declaredServices(o *options, e *env) (names, tags []string, ok bool) {
	s := newSession(o, e)
	defer s.close()
	lines, err := s.call("command inspect")
	if unknownVerb(err, messages.VerbInspect) {
		names, err = s.call("command list")
		return names, nil, err == nil
	}
	if err != nil {
		return nil, nil, false
	}
	tags = []string{}
	for _, l := range lines {
		i, err := messages.ParseServiceInfo(l)
		if err != nil {
			return nil, nil, false
		}
		names = append(names, i.Name)
		for _, t := range i.Tags {
			if !slices.Contains(tags, t) {
				tags = append(tags, t)
			}
		}
	}
	return names, tags, true
}
