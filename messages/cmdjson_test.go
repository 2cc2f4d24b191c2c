package messages

import "testing"

// The desc line shows a command declared as a JSON array as the original
// wrote it (JSON::XS, REFERENCE §1.6, compat): `<`, `>`, `&`, U+2028 and
// U+2029 as they are, where encoding/json wrote \u003c, \u003e, \u0026,
// \u2028 and \u2029; `"`, `\` and the control characters escaped. A
// character that is not printable, which JSON::XS wrote raw (DEL, a C1
// control as CSI, a bidirectional override), is written \uXXXX, the same
// value: a raw client's terminal got it (REFERENCE §1.5). fb19a5e wrote
// U+2028 and U+2029 \u2028 and \u2029 too, which no terminal acts on.
func TestDescLineArrayCommandAsTheOriginal(t *testing.T) {
	for _, tc := range []struct{ decl, want string }{
		{`["sh","-c","a < b && c > d"]`, `["sh","-c","a < b && c > d"]`},
		{"[\"echo\",\"a\u2028b\u2029c\"]", "[\"echo\",\"a\u2028b\u2029c\"]"},
		{`["echo","\u2028\\u2028"]`, "[\"echo\",\"\u2028\\\\u2028\"]"},
		{"[\"echo\",\"\x7f\u009b31m\u202ex\U000e0001\"]", `["echo","\u007f\u009b31m\u202ex\udb40\udc01"]`},
		{`["echo","q\"b\\t\t\n\u0001\b\f","é/x"]`, `["echo","q\"b\\t\t\n\u0001\b\f","é/x"]`},
		{`["sleep","100"]`, `["sleep","100"]`},
		{"[\"echo\",\"caf\u00e9\u00a0x \u65e5\u3000\u672c \U0001F468\u200d\U0001F469\"]", "[\"echo\",\"caf\u00e9\u00a0x \u65e5\u3000\u672c \U0001F468\u200d\U0001F469\"]"},
	} {
		st, err := Parse("service s cmd=" + tc.decl)
		if err != nil {
			t.Fatalf("cmd=%s: %v", tc.decl, err)
		}
		d := st.(SetServiceAttr)
		c, err := NewServiceConfig("s").Apply(d.Attr, d.Value)
		if err != nil {
			t.Fatalf("cmd=%s: %v", tc.decl, err)
		}
		line := DescLine{Name: "s", Cmd: c.CmdText()}.Format()
		if want := "s\t\t\t\t" + tc.want; line != want {
			t.Errorf("cmd=%s: desc line %q, want %q", tc.decl, line, want)
		}
	}
}
