package messages

import (
	"bytes"
	"encoding/json"
	"strings"
)

// argvJSON is a command declared as a JSON array as the desc line shows it
// (REFERENCE §1.6, compat): compact JSON as the original's JSON::XS wrote
// it, every printable character as it is but `"` and `\`, which are
// escaped, as are the control characters. encoding/json escapes `<`, `>`
// and `&` (unless told not to) and U+2028 and U+2029 (always): those are
// written as they are, text a terminal does not act on. A character that
// is not printable (DEL, a C1 control, a bidirectional override), which
// JSON::XS wrote raw, is written \uXXXX (jsonPrintable), so that the desc
// line gives a raw client's terminal no escape sequence and stays JSON
// (REFERENCE §1.5).
func argvJSON(argv []string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, s := range argv {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		// each run between two U+2028 or U+2029 is escaped on its own,
		// so that a `\u2028` written by the argument (a backslash, then
		// `u2028`) stays `\\u2028`
		start := 0
		for j, r := range s {
			if r == '\u2028' || r == '\u2029' {
				b.WriteString(jsonInner(s[start:j]))
				b.WriteRune(r)
				start = j + len(string(r))
			}
		}
		b.WriteString(jsonInner(s[start:]))
		b.WriteByte('"')
	}
	b.WriteByte(']')
	return string(jsonPrintable([]byte(b.String())))
}

// jsonInner is s as a JSON string without HTML escaping, its quotes
// removed; s holds no U+2028 nor U+2029.
func jsonInner(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // a string: cannot fail
	out := b.Bytes()
	return string(out[1 : len(out)-2]) // `"`...`"\n`
}
