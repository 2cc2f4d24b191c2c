package printable

import "testing"

func TestString(t *testing.T) {
	for in, want := range map[string]string{
		"web 127.0.0.1:7000": "web 127.0.0.1:7000",
		"a\x00b":             `a\x00b`,
		"\x1b[2Jx":           `\x1b[2Jx`,
		"caf\xe9":            `caf\xe9`,
		"café":               "café",
	} {
		if got := String(in); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
	}
}

// Text a terminal shows comes back byte for byte, its spaces and joiners
// included: a no-break space (French), an ideographic space (Japanese),
// an emoji of a family (U+200D), a word of Persian (U+200C), a line
// separator (U+2028). unicode.IsPrint escaped them, so that a desc line,
// which is compat, changed its bytes (REFERENCE §1.6); a control, a
// bidirectional override or a tag character is still escaped.
func TestLineKeepsWhatATerminalShows(t *testing.T) {
	for in, want := range map[string]string{
		"caf\u00e9\u00a0cr\u00e8me\t\u65e5\u3000\u672c":                               "caf\u00e9\u00a0cr\u00e8me\t\u65e5\u3000\u672c",
		"\U0001F468\u200d\U0001F469 \u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645": "\U0001F468\u200d\U0001F469 \u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
		"a\u00a0\x1b]0;t\x07\tb\u202ec\u2028\U000e0001\u009b":                         `a` + "\u00a0" + `\x1b]0;t\x07` + "\t" + `b\xe2\x80\xaec` + "\u2028" + `\xf3\xa0\x80\x81\xc2\x9b`,
	} {
		if got := Line(in); got != want {
			t.Errorf("Line(%q) = %q, want %q", in, got, want)
		}
	}
}

// Line of printable text, UTF-8 included, makes nothing: it is run on
// each desc line of `command desc`, thousands of them (fb19a5e copied
// each line holding a byte over 0x7e, twice as slow a desc of 9,000
// services with an accent in their desc).
func TestLineOfPrintableTextMakesNothing(t *testing.T) {
	line := "s1\tweb, prod\tle caf\u00e9 num\u00e9ro 1\u00a0\u65e5\u3000\u672c\t\tsleep 1000"
	if n := testing.AllocsPerRun(100, func() { _ = Line(line) }); n != 0 {
		t.Errorf("Line of printable text made %v allocations, want none", n)
	}
	if got := Line(line); got != line {
		t.Errorf("Line(%q) = %q", line, got)
	}
}

// Unambiguous writes a \ as \\, so that a text holding a literal \x1b or
// \n reads otherwise than one holding an ESC or a newline; String keeps
// it (the original's lines, REFERENCE §1.6).
func TestUnambiguous(t *testing.T) {
	for in, want := range map[string]string{
		`a\x1b\nb`:         `a\\x1b\\nb`,
		"a\x1b\nb":         `a\x1b\x0ab`,
		`C:\dir\` + "\xe9": `C:\\dir\\\xe9`,
		"caf\u00e9":        "caf\u00e9",
	} {
		if got := Unambiguous(in); got != want {
			t.Errorf("Unambiguous(%q) = %q, want %q", in, got, want)
		}
	}
	if got := String(`a\x1b`); got != `a\x1b` {
		t.Errorf("String kept no \\: %q", got)
	}
}
