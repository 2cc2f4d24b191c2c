package ctl

import (
	"fmt"
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
		if attr, meant := messages.AttributeMeant(e.Err.Error()); meant != "" {
			f.lines = append(f.lines, fmt.Sprintf("cfkctl: '%s' is no attribute: did you mean '%s'?", attr, meant))
		}
	}
	if more > 0 {
		f.lines = append(f.lines, fmt.Sprintf("cfkctl: and %d more bad lines", more))
	}
	return f
}
