package printable

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// String is s with what a terminal or a log should not get raw escaped:
// bytes that are not UTF-8 and characters that are not Shown become \xNN.
func String(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || !Shown(r) {
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

// Unambiguous is String with each \ written \\: a text that reads back
// one way, where a literal \x1b or \n (a path, a command, a value a
// client sent) is not taken for an escaped ESC or newline. For cfk's own
// texts (the errors of a config file's lines on cfkd's stderr); String
// and Line keep a \ as it is, for the lines whose printable text must be
// the original's byte for byte (REFERENCE §1.5, §1.6).
func Unambiguous(s string) string {
	if !strings.Contains(s, `\`) {
		return String(s)
	}
	return String(strings.ReplaceAll(s, `\`, `\\`))
}

// Shown says whether r is text a terminal shows, kept as it is: a
// graphic character (unicode.IsGraphic: letters, marks, numbers,
// punctuation, symbols and the spaces, a no-break space or an
// ideographic one among them), a zero-width joiner or non-joiner, which
// an emoji sequence or a word of Persian holds, or a line or paragraph
// separator (U+2028, U+2029), which no terminal acts on and the original
// wrote raw in a desc line. What is not is a control character (C0, DEL,
// C1), a bidirectional override or another format character, a private
// or unassigned code point. unicode.IsPrint takes no space but U+0020:
// with it, a desc written in French or Japanese, or holding an emoji of a
// family, came back escaped in a desc line, which is compat (REFERENCE
// §1.6).
func Shown(r rune) bool {
	switch r {
	case '\u200c', '\u200d', '\u2028', '\u2029':
		return true
	}
	return unicode.IsGraphic(r)
}

// Line is String of each tab-separated field of line, its tabs kept: a
// line of fields (a status or desc line, an error text) whose fields quote
// what a user declared. Printable text, UTF-8 included, comes back byte for
// byte, at the cost of one scan, which makes nothing: a desc line of
// each of thousands of services, written in French, is not copied.
func Line(line string) string {
	for i := 0; i < len(line); {
		c := line[i]
		if c >= ' ' && c < 0x7f || c == '\t' {
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(line[i:])
		if r == utf8.RuneError && size == 1 || !Shown(r) {
			return escapeFields(line)
		}
		i += size
	}
	return line
}

// escapeFields is Line of a line that may hold what String escapes.
func escapeFields(line string) string {
	parts := strings.Split(line, "\t")
	for j, p := range parts {
		parts[j] = String(p)
	}
	return strings.Join(parts, "\t")
}
