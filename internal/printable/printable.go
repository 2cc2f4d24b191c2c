package printable

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// String is s with what a terminal or a log should not get raw escaped:
// bytes that are not UTF-8 and control characters become \xNN.
func String(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || !unicode.IsPrint(r) {
			for _, c := range []byte(s[i : i+size]) {
				fmt.Fprintf(&b, "\\x%02x", c)
			}
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
