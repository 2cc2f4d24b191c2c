package logconf

import "testing"

// TestTextFieldValueReadsOneWay: a field's value holding a C1 control, a
// bidirectional override or a byte that is not UTF-8 is quoted, its
// quoted form escaping them, as a message is escaped (REFERENCE §6.2);
// printable text, other scripts and a \ outside quotes are kept.
func TestTextFieldValueReadsOneWay(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"plain", "plain"},
		{`C:\dir`, `C:\dir`},
		{"café", "café"},
		{"日本", "日本"},
		{"a b", `"a b"`},
		{"a\u009bb", `"a\u009bb"`},
		{"ab\u202ecd", `"ab\u202ecd"`},
		{"a\xffb", `"a\xffb"`},
		{"a\x1bb", `"a\x1bb"`},
		{"", `""`},
	} {
		if got := string(appendTextValue(nil, c.in)); got != c.want {
			t.Errorf("%q: got %s, want %s", c.in, got, c.want)
		}
	}
}
