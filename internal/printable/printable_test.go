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
