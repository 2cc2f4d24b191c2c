package ctl

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/cfk/cfk/messages"
)

// maxFileErrors is how many bad lines of a file cfkctl apply names.
const maxFileErrors = 20

// fileErrors is the bad lines of a file to apply, each `FILE:N: MESSAGE`
// with, for a misspelt attribute, its hint line after it; printed as
// they are, one a line (report).
type fileErrors struct{ lines []string }

func (f *fileErrors) Error() string { return strings.Join(f.lines, "\n") }

// applyFileErrors is every bad line of text (the file to apply), when
// cfkd refused it for its first with refused (`line N: MESSAGE`) and
// there are more: cfkd answers one error, and cfkctl, which reads the
// text as cfkd does (messages.ApplyTextErrors), names the others, so
// that one try shows what to mend. It is nil when cfkctl's first error
// is not cfkd's (a cfkd of another version, which reads the text
// otherwise: its word alone counts) or there is no other.
func applyFileErrors(file, text, refused string) *fileErrors {
	errs, more := messages.ApplyTextErrors(text, maxFileErrors)
	if len(errs) < 2 || errs[0].Error() != refused {
		return nil
	}
	f := &fileErrors{}
	for _, e := range errs {
		f.lines = append(f.lines, fmt.Sprintf("%s:%d: %v", file, e.Line, e.Err))
		if h := attributeHintOf(e.Err.Error()); h != "" {
			f.lines = append(f.lines, h)
		}
	}
	if more > 0 {
		f.lines = append(f.lines, fmt.Sprintf("cfkctl: and %d more bad lines", more))
	}
	return f
}

// cycleText is cfkd's refusal of an apply for a dependency cycle
// (REFERENCE §2.8): `dependency cycle: a -> b -> a`, perhaps with a tail
// (`, until the services pruned are destroyed: ...`).
var cycleText = regexp.MustCompile(`^dependency cycle: ([^,]+?)(?:,.*)?$`)

// applyCycleLine is cfkd's refusal of an apply for a dependency cycle
// with the line of FILE that closes it: `FILE:N: dependency cycle: e ->
// f -> e`, N the last of the `requires` lines of text that make its
// edges (the line `cfkctl load FILE` would be refused at); nil when the
// refusal is of another kind or no edge is the file's (a cycle through
// services the file leaves out, their requires cfkd's).
func applyCycleLine(file, text, refused string) error {
	m := cycleText.FindStringSubmatch(refused)
	if m == nil {
		return nil
	}
	names := strings.Split(m[1], " -> ")
	edge := make(map[string]string, len(names)) // a service of the cycle -> the next
	for i := 0; i+1 < len(names); i++ {
		edge[names[i]] = names[i+1]
	}
	last := 0
	for i, line := range strings.Split(text, "\n") {
		st, err := messages.Parse(line)
		d, ok := st.(messages.SetServiceAttr)
		if err != nil || !ok || d.Attr != messages.SvcRequires {
			continue
		}
		if next, in := edge[d.Service]; in && slices.Contains(d.Value.List, next) {
			last = i + 1
		}
	}
	if last == 0 {
		return nil
	}
	return &userError{msg: fmt.Sprintf("%s:%d: %s", file, last, refused)}
}

// warnAttributeInValue says on stderr, for line N of FILE, that a word of
// its value is another attribute's (messages.AttributeInValue): `cfkctl:
// FILE:N: warning: 'tags=web' is part of the value of cmd: ...`. It is no
// error: the line is sent all the same.
func warnAttributeInValue(s *session, file string, n int, line string) {
	if name, attr, word := messages.AttributeInValue(line); word != "" {
		fmt.Fprintf(s.env.stderr, "cfkctl: %s:%d: warning: %s\n", file, n,
			s.env.safeErr(messages.AttributeInValueWarning(name, attr, word)))
	}
}
