package messages

import (
	"fmt"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/cfk/cfk/internal/printable"
)

// jsonPrintable is b, JSON written by encoding/json, with each character
// that a terminal should not get raw and that encoding/json writes as it
// is, DEL, the C1 controls (U+0080 to U+009F, a CSI among them), the
// bidirectional overrides and the other characters that are not
// shown (printable.Shown), written \uXXXX (a pair of them beyond
// U+FFFF): the decoded value is the same, and a raw client (socat, nc)
// reading an event or inspect line, or a desc line's command, gets no
// escape sequence from a value it quotes (REFERENCE §1.5, §1.6). The
// control characters below U+0020 are encoding/json's to escape already;
// outside strings JSON is ASCII, so only strings are touched. b is
// returned as it is when there is nothing to escape.
func jsonPrintable(b []byte) []byte {
	i := 0
	for ; i < len(b); i++ {
		if b[i] >= 0x7f {
			break
		}
	}
	if i == len(b) {
		return b
	}
	out := append([]byte(nil), b[:i]...)
	for i < len(b) {
		if b[i] < 0x7f {
			out = append(out, b[i])
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if size == 1 && r == utf8.RuneError || printable.Shown(r) {
			out = append(out, b[i:i+size]...) // (encoding/json writes no invalid UTF-8)
		} else if r1, r2 := utf16.EncodeRune(r); r1 != utf8.RuneError {
			out = fmt.Appendf(out, `\u%04x\u%04x`, r1, r2)
		} else {
			out = fmt.Appendf(out, `\u%04x`, r)
		}
		i += size
	}
	return out
}
