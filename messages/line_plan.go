package messages

import (
	"fmt"
	"strings"
)

// The lines of a plan, as `command apply` answers them (REFERENCE §1.6):
//
//	+ NAME                  a service to declare
//	~ NAME: ATTR, ATTR      a service whose attributes change
//	- NAME                  a service that the new declarations leave out
//	+ socket NAME           the same for a socket ...
//	~ proxy NAME: ATTR      ... and for a proxy
//
// or the one line `no changes`. A service whose run was launched from a
// declaration other than its current one (a restart of it was refused)
// has its `~` line end with FormerRun, after its attributes if any:
//
//	~ NAME: (running a former declaration)
//	~ NAME: desc (running a former declaration)
//
// and so has a proxy's whose process runs a former declaration (its
// change takes effect at its next run): `~ proxy NAME: (running a former
// declaration)`; a bound socket's whose bind was of a former declaration
// (its change takes effect at its next bind) ends with FormerBind
// instead: `~ socket NAME: (bound with a former declaration)`. A
// service's `~` line whose changes take effect without a restart (what is
// read at the stop or at the process's end, labels, requires, or a run
// that already is the new declaration's) ends with InPlaceText: an apply
// restarts nothing for it, up or not:
//
//	~ NAME: desc, stopwait_secs (in place)

// NoChanges is the whole plan when there is nothing to change.
const NoChanges = "no changes"

// PlanNote begins a note line, after a plan's lines: a dry run planned
// while an apply is under way says so (REFERENCE §1.4, §1.6). No plan
// line, nor a `NAME: MESSAGE` line, begins so.
const PlanNote = "# "

// FormerRun ends the `~` line of a service that runs a former
// declaration (Change.Former).
const FormerRun = "(running a former declaration)"

// FormerBind ends the `~` line of a bound socket whose bind was of a
// former declaration (Change.Former, KindSocket).
const FormerBind = "(bound with a former declaration)"

// InPlaceText ends the `~` line of a service whose changes take effect
// without a restart (Change.InPlace).
const InPlaceText = "(in place)"

// formerText is what ends the `~` line of a Former change of kind.
func formerText(kind DeclKind) string {
	if kind == KindSocket {
		return FormerBind
	}
	return FormerRun
}

// PlanLines writes a plan: one line per change, or NoChanges.
func PlanLines(plan []Change) []string {
	if len(plan) == 0 {
		return []string{NoChanges}
	}
	lines := make([]string, len(plan))
	for i, c := range plan {
		lines[i] = c.Format()
	}
	return lines
}

// Format writes the plan line of c.
func (c Change) Format() string {
	var b strings.Builder
	b.WriteByte(byte(c.Op))
	b.WriteByte(' ')
	if c.Kind != KindService {
		b.WriteString(string(c.Kind))
		b.WriteByte(' ')
	}
	b.WriteString(c.Name)
	if len(c.Attrs) > 0 || c.Former {
		b.WriteString(": ")
		b.WriteString(strings.Join(c.Attrs, ", "))
	}
	if c.Former {
		if len(c.Attrs) > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(formerText(c.Kind))
	}
	if c.InPlace {
		b.WriteString(" " + InPlaceText)
	}
	return b.String()
}

// ParseChange reads a plan line (not NoChanges): exactly what Format
// writes of a valid Change (see Validate).
func ParseChange(line string) (Change, error) {
	const kind = "plan"
	if len(line) < 3 || line[1] != ' ' {
		return Change{}, lineErr(kind, "want OP NAME, got %q", line)
	}
	c := Change{Op: ChangeOp(line[0]), Kind: KindService}
	rest, former := strings.CutSuffix(line[2:], " "+FormerRun)
	if !former {
		rest, former = strings.CutSuffix(line[2:], " "+FormerBind)
	}
	if !former {
		rest, c.InPlace = strings.CutSuffix(line[2:], " "+InPlaceText)
	}
	if former { // the kind's own text: Format, below, checks it
		c.Former = true
		rest = strings.TrimSuffix(rest, ":") // `~ NAME: (running ...)`
	}
	head, attrs, hasAttrs := strings.Cut(rest, ": ")
	if hasAttrs {
		c.Attrs = strings.Split(attrs, ", ")
	}
	words := strings.Split(head, " ")
	switch len(words) {
	case 1:
		c.Name = words[0]
	case 2:
		c.Kind, c.Name = DeclKind(words[0]), words[1]
		if c.Kind == KindService {
			return Change{}, lineErr(kind, "a service is written without its kind: %q", line)
		}
	default:
		return Change{}, lineErr(kind, "want [KIND] NAME, got %q", head)
	}
	if err := c.Validate(); err != nil {
		return Change{}, err
	}
	if c.Format() != line { // `~ NAME: cmd: (running ...)` and the like
		return Change{}, lineErr(kind, "not a plan line: %q", line)
	}
	return c, nil
}

// Validate reports what keeps c from being written and read back as it
// is: an unknown op or kind, an invalid name, attributes on anything but
// a `~` (which needs at least one, or Former), Former on anything but a
// `~`, an attribute that is not a word of lower-case letters
// and `_`.
func (c Change) Validate() error {
	const kind = "plan"
	switch c.Op {
	case OpAdd, OpChange, OpRemove:
	default:
		return lineErr(kind, "unknown op %q (want +, ~ or -)", string(rune(c.Op)))
	}
	switch c.Kind {
	case KindService, KindSocket, KindProxy:
	default:
		return lineErr(kind, "unknown kind %q", c.Kind)
	}
	if !ValidName(c.Name) {
		return lineErr(kind, "invalid name %q", c.Name)
	}
	if c.Former && c.Op != OpChange {
		return lineErr(kind, "only a ~ runs, or is bound with, a former declaration")
	}
	if c.InPlace && (c.Op != OpChange || c.Kind != KindService || c.Former || len(c.Attrs) == 0) {
		return lineErr(kind, "only a service's ~ with attributes, not of a former declaration, changes in place")
	}
	if (c.Op == OpChange) != (len(c.Attrs) > 0 || c.Former) {
		return lineErr(kind, "attributes go with ~ only, and ~ needs at least one")
	}
	for _, a := range c.Attrs {
		if !isAttrWord(a) {
			return lineErr(kind, "invalid attribute %q", a)
		}
	}
	return nil
}

func isAttrWord(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || c == '_') {
			return false
		}
	}
	return true
}

// String is the plan line (for messages and tests).
func (c Change) String() string { return c.Format() }

var _ fmt.Stringer = Change{}
