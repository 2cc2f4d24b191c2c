package fleet

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/rights"
)

// Policy is what a member lets hubs run on it (REFERENCE §12.5): what
// package rights gives the level operate (the command verbs that look and
// those that start, stop, restart and signal), and the verbs
// --fleet-allow names besides.
type Policy struct {
	extra []string // verbs of --fleet-allow; "declare" for declarations
}

// AllowWords are the words --fleet-allow takes.
var AllowWords = []string{"declare", "destroy", "bind", "unbind", "apply", "shutdown"}

// ParsePolicy reads --fleet-allow: a comma list of AllowWords (empty:
// operate alone). An empty entry (`destroy,,bind`, `destroy,`) is
// refused, as hosts= refuses one (REFERENCE §12.3): it was dropped, and
// may have been a word left out.
func ParsePolicy(list string) (Policy, error) {
	var p Policy
	if strings.TrimSpace(list) == "" {
		return p, nil
	}
	for _, w := range strings.Split(list, ",") {
		w = strings.TrimSpace(w)
		if w == "" {
			return Policy{}, fmt.Errorf("--fleet-allow: empty word in %s (want %s, comma separated)", list, strings.Join(AllowWords, ", "))
		}
		if !slices.Contains(AllowWords, w) {
			return Policy{}, fmt.Errorf("--fleet-allow: unknown word %q (want %s)", w, strings.Join(AllowWords, ", "))
		}
		p.extra = append(p.extra, w)
	}
	return p, nil
}

// String lists what the policy allows.
func (p Policy) String() string {
	if len(p.extra) == 0 {
		return "operate"
	}
	return "operate," + strings.Join(p.extra, ",")
}

// errNotOverFleet refuses what never goes over a fleet, whatever the
// policy.
var errNotOverFleet = errors.New("does not go over the fleet")

// Check says whether a hub may run st on this member: nil, or why not
// (`not authorized`, the admin consoles' text).
func (p Policy) Check(st messages.Statement) error {
	switch s := st.(type) {
	case messages.Fleet:
		return fmt.Errorf("'fleet' %w", errNotOverFleet)
	case messages.ControlCommand:
		if s.Streams() {
			return fmt.Errorf("'%s' %w (fleet events subscribes instead)", s.Verb, errNotOverFleet)
		}
		if slices.Contains(p.extra, string(s.Verb)) {
			return nil
		}
	case messages.Apply, messages.PendingApply:
		// a PendingApply (not decoded yet) that operate may not run
		// is refused undecoded; one it may run (a dry run) is checked
		// again once decoded (add_env)
		if slices.Contains(p.extra, "apply") {
			return nil
		}
	case messages.SetServiceAttr, messages.SetSocketAttr, messages.SetProxyAttr:
		if slices.Contains(p.extra, "declare") {
			return nil
		}
	}
	return rights.Check(rights.Operate, st)
}

// Level is the level a hub holds on this member, for the audit records.
func (p Policy) Level() rights.Level { return rights.Operate }
