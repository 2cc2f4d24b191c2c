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
// and `&` (unless told not to): those are written as they are. A
// character that is not printable (DEL, a C1 control, U+2028, a
// bidirectional override), which JSON::XS wrote raw, is written \uXXXX
// (jsonPrintable), so that the desc line gives a raw client's terminal no
// escape sequence and stays JSON (REFERENCE §1.5).
func argvJSON(argv []string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, s := range argv {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		b.WriteString(jsonInner(s))
		b.WriteByte('"')
	}
	b.WriteByte(']')
	return string(jsonPrintable([]byte(b.String())))
}

// jsonInner is s as a JSON string without HTML escaping, its quotes
// removed.
func jsonInner(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // a string: cannot fail
	out := b.Bytes()
	return string(out[1 : len(out)-2]) // `"`...`"\n`
}
