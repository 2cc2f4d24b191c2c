package messages

import "testing"

// The attribute an `invalid property 'ATTR'` error likely meant, as
// cfkctl and cfkd name it: a misspelling, or another supervisor's name.
func TestAttributeMeant(t *testing.T) {
	for _, tc := range []struct{ msg, attr, meant string }{
		{"invalid property 'cwdd'", "cwdd", "cwd"},
		{"f.conf:3: invalid property 'Environment'", "Environment", "add_env"},
		{"line 2: invalid property 'depends_on'", "depends_on", "requires"},
		{"invalid property 'foo'", "foo", ""},
		{"invalid value for cwd: \"x\" (want an absolute directory path)", "", ""},
	} {
		if attr, meant := AttributeMeant(tc.msg); attr != tc.attr || meant != tc.meant {
			t.Errorf("AttributeMeant(%q) = %q, %q, want %q, %q", tc.msg, attr, meant, tc.attr, tc.meant)
		}
	}
}
