package messages

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// This file holds what the tab-separated line codecs (line_status.go,
// line_desc.go, line_socket.go) and the pids one (line_pids.go) share.
// Each format of REFERENCE §1.6 is one typed value whose Format writes the
// line (cfkd) and whose ParseX reads it back (cfkctl).
//
// The rules common to them:
//   - A field that is absent is the empty string: pid 0, the zero time.
//   - Times are Unix seconds (Format drops the fraction).
//   - Format never writes a line break: CR and LF become a space in every
//     field, and TAB becomes a space in every field but the last one. The
//     last field may hold tabs: ParseX gives it the rest of the line, as the
//     original's clients did.
//   - ParseX accepts exactly the lines that Format writes from a valid value
//     (see each Validate): ParseX(x.Format()) == x for every valid x, and
//     ParseX(line) == x implies x.Format() == line (both are fuzzed).
//     Anything else is an error that says which field is wrong, save the
//     fields a newer cfkd adds after those an extension line's parser
//     knows, which it ignores, and a fleet line of a kind it does not know,
//     which it keeps (line_socket.go, line_fleet.go; doc.go).

// lineErr is the error of a line codec: `malformed KIND line: WHY`.
func lineErr(kind, format string, args ...any) error {
	return fmt.Errorf("malformed %s line: %s", kind, fmt.Sprintf(format, args...))
}

// field is s made fit for a field that is not the last: TAB, CR and LF
// become a space.
func field(s string) string {
	if !strings.ContainsAny(s, "\t\r\n") {
		return s
	}
	return fieldBreaks.Replace(s)
}

// fieldBreaks and lineBreaks replace byte by byte: the other bytes are
// kept as they are, valid UTF-8 or not (strings.Map would turn each byte
// of invalid UTF-8 into U+FFFD).
var (
	fieldBreaks = strings.NewReplacer("\t", " ", "\r", " ", "\n", " ")
	lineBreaks  = strings.NewReplacer("\r", " ", "\n", " ")
)

// lastField is s made fit for the last field: CR and LF become a space.
func lastField(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return lineBreaks.Replace(s)
}

// splitFields cuts line into exactly n tab-separated fields, the last one
// getting the rest of the line.
func splitFields(kind, line string, n int) ([]string, error) {
	f := strings.SplitN(line, "\t", n)
	if len(f) != n {
		return nil, lineErr(kind, "want %d tab-separated fields, got %d", n, len(f))
	}
	return f, nil
}

// checkWord checks a name, a tag or a proxy: not empty, no white space, no
// control character, none of the bytes of except.
func checkWord(kind, what, s, except string) error {
	if s == "" {
		return lineErr(kind, "empty %s", what)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f || strings.IndexByte(except, c) >= 0 {
			return lineErr(kind, "invalid %s %q", what, s)
		}
	}
	return nil
}

// checkText checks a free-text field: no CR or LF, and no TAB unless tabs.
func checkText(kind, what, s string, tabs bool) error {
	bad := "\r\n\t"
	if tabs {
		bad = "\r\n"
	}
	if strings.ContainsAny(s, bad) {
		return lineErr(kind, "%s %q holds a line break or a tab", what, s)
	}
	return nil
}

// checkList checks a list of words (tags, services).
func checkList(kind, what string, l []string) error {
	for _, w := range l {
		if err := checkWord(kind, what, w, ","); err != nil {
			return err
		}
	}
	return nil
}

// splitList cuts a list at each sep; the empty string is the empty list
// (nil).
func splitList(s, sep string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, sep)
}

// formatPid writes a pid; 0 (no process) is the empty field.
func formatPid(n int) string {
	if n <= 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// parsePid reads a pid: empty (0) or a positive decimal integer.
func parsePid(kind, what, s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, ok := parseDigits(s)
	if !ok || n == 0 || n > maxPid {
		return 0, lineErr(kind, "%s %q is not a positive integer", what, s)
	}
	return int(n), nil
}

// maxPid bounds a pid so that it fits an int everywhere (Linux's own bound
// is 2^22).
const maxPid = 1<<31 - 1

// formatEpoch writes a time as Unix seconds; the zero time is the empty
// field.
func formatEpoch(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.Unix(), 10)
}

// parseEpoch reads Unix seconds: empty (the zero time) or a decimal
// integer.
func parseEpoch(kind, what, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	n, ok := parseDigits(s)
	if !ok {
		return time.Time{}, lineErr(kind, "%s %q is not Unix seconds", what, s)
	}
	return time.Unix(n, 0), nil
}

// checkEpoch checks that a time can be written as Unix seconds and read
// back the same: zero, or whole seconds from 1970 on.
func checkEpoch(kind, what string, t time.Time) error {
	if !t.IsZero() && (t.Unix() < 0 || t.Nanosecond() != 0) {
		return lineErr(kind, "%s %v is not whole Unix seconds", what, t)
	}
	return nil
}

// parseDigits reads a non-negative decimal integer as strconv writes it:
// ASCII digits only (no sign, no space, no leading zero), at most 18 of
// them so that it cannot overflow.
func parseDigits(s string) (int64, bool) {
	if s == "" || len(s) > 18 || (s[0] == '0' && len(s) > 1) {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
