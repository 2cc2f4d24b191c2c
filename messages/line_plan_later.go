package messages

import "strings"

// ParseChangeHead reads the head of a plan line, for a line that
// ParseChange refuses because a later cfkd wrote more than this one
// knows (REFERENCE §1.6): OP, a space, KIND and a space unless a service,
// NAME, then the end of the line, or `: ` or ` (` and a tail it does not
// read. It returns a Change of Op, Kind and Name only (no Attrs, Former
// false: c.Format() is what begins the line), or an error when the line
// does not begin with such a head (an unknown op or kind, an invalid
// name). ParseChange stays strict: a client tries it first.
func ParseChangeHead(line string) (Change, error) {
	const kind = "plan"
	if len(line) < 3 || line[1] != ' ' {
		return Change{}, lineErr(kind, "want OP NAME, got %q", line)
	}
	c := Change{Op: ChangeOp(line[0]), Kind: KindService}
	switch c.Op {
	case OpAdd, OpChange, OpRemove:
	default:
		return Change{}, lineErr(kind, "unknown op %q (want +, ~ or -)", line[:1])
	}
	head := line[2:]
	if i := strings.Index(head, ": "); i >= 0 {
		head = head[:i]
	}
	if i := strings.Index(head, " ("); i >= 0 {
		head = head[:i]
	}
	words := strings.Split(head, " ")
	switch len(words) {
	case 1:
		c.Name = words[0]
	case 2:
		c.Kind, c.Name = DeclKind(words[0]), words[1]
		if c.Kind != KindSocket && c.Kind != KindProxy {
			return Change{}, lineErr(kind, "unknown kind %q", words[0])
		}
	default:
		return Change{}, lineErr(kind, "want [KIND] NAME, got %q", head)
	}
	if !ValidName(c.Name) {
		return Change{}, lineErr(kind, "invalid name %q", c.Name)
	}
	return c, nil
}
