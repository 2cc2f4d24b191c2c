package ctl

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Terminal safety (REFERENCE §8.3): what cfkd sends holds values that
// anyone with the right to declare chose (a desc, a cmd, a fail reason,
// a service's log lines). Written raw to a terminal, an ESC or a C1
// control in them would move the cursor, retitle the window, hide text
// or answer the terminal's queries as keystrokes. So, on a terminal,
// cfkctl writes them with their control characters escaped: \xNN for
// C0 controls (but tab) and DEL, and for bytes that are not UTF-8; \uNNNN
// for C1 controls and the bidirectional overrides (which reorder what is
// shown). A backslash is left as it is: the escaped text is for eyes,
// not for parsing. Off a terminal (a pipe, a file) values are written as
// cfkd sent them; --json output is JSON, whose strings escape C0
// controls, and on a terminal C1 and bidi controls too.

// needsEscape reports whether r is shown escaped.
func needsEscape(r rune) bool {
	return r < 0x20 && r != '\t' || r >= 0x7f && r <= 0x9f ||
		r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}

// escapeControls returns s with its control characters escaped.
func escapeControls(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' || c >= 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x80 && needsEscape(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case needsEscape(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// terminal reports whether w is a terminal.
func (e *env) terminal(w io.Writer) bool { return e.isTerminal != nil && e.isTerminal(w) }

// safeOut is v as it may be written to stdout: escaped on a terminal.
func (s *session) safeOut(v string) string {
	if s.env.terminal(s.env.stdout) {
		return escapeControls(v)
	}
	return v
}

// safeErr is v as it may be written to stderr.
func (e *env) safeErr(v string) string {
	if e.terminal(e.stderr) {
		return escapeControls(v)
	}
	return v
}

// safeErrLines is v, cfkctl's own text of several lines (the original's
// two lines of a failed connection, a hint per reference), as it may be
// written to stderr: each line escaped, the newlines between them kept.
// A newline in a value cfkd sent is escaped as safeErr escapes it: only
// the lines cfkctl joined are split here.
func (e *env) safeErrLines(lines ...string) string {
	for i, l := range lines {
		lines[i] = e.safeErr(l)
	}
	return strings.Join(lines, "\n")
}

// errText is err's text as it may be written to stderr: a connectError's
// two lines (cfkctl's) stay two lines on a terminal.
func (e *env) errText(err error) string {
	var ce *connectError
	if errors.As(err, &ce) {
		return e.safeErrLines(ce.lines()...)
	}
	return e.safeErr(err.Error())
}

// escapeJSON escapes, in a JSON text, the runes that JSON leaves raw and
// a terminal would act on (DEL, C1, bidi overrides): \uNNNN is valid
// wherever they can be, inside strings.
func escapeJSON(p []byte) []byte {
	clean := true
	for _, c := range p {
		if c >= 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return p
	}
	var b bytes.Buffer
	for i := 0; i < len(p); {
		r, size := utf8.DecodeRune(p[i:])
		if r >= 0x7f && needsEscape(r) {
			fmt.Fprintf(&b, `\u%04x`, r)
		} else {
			b.Write(p[i : i+size])
		}
		i += size
	}
	return b.Bytes()
}

// jsonOut is where --json output goes: stdout, through escapeJSON on a
// terminal (json.Encoder writes each value in one Write).
func (e *env) jsonOut() io.Writer {
	if e.terminal(e.stdout) {
		return jsonTTY{e.stdout}
	}
	return e.stdout
}

type jsonTTY struct{ w io.Writer }

func (j jsonTTY) Write(p []byte) (int, error) {
	if _, err := j.w.Write(escapeJSON(p)); err != nil {
		return 0, err
	}
	return len(p), nil
}
