package messages

import "testing"

// A word of a value that is another attribute's ATTR=... is found; a
// list value, a quoted word, a word of no attribute, the program of a
// cmd and a line that does not parse are not.
func TestAttributeInValue(t *testing.T) {
	for _, tc := range []struct{ line, name, attr, word string }{
		{"service w cmd=sleep 100 tags=web", "w", "cmd", "tags=web"},
		{"service w desc=my app startwait_secs=3  # note", "w", "desc", "startwait_secs=3"},
		{"  service w cwd=/srv user=www", "w", "cwd", "user=www"},
		{"service w cmd=psql 'user=foo'", "", "", ""},
		{"service w cmd=sh -c 'exec prog user=x'", "", "", ""},
		{"service w cmd=prog; echo user=x", "", "", ""},
		{`service w cmd="sleep 1 tags=a"`, "", "", ""},
		{"service w cmd=/usr/bin/app --port 80 cwd=/srv", "w", "cmd", "cwd=/srv"},
		{`service w cmd=["sleep","tags=1"]`, "", "", ""},
		{"service w cmd=env FOO=1 prog", "", "", ""},
		{"service w cmd=tags=1", "", "", ""},
		{"service w startwait_secs=3 tags=a", "", "", ""}, // refused: not a number
		{"proxy p cmd=x tags=a", "", "", ""},
		{"command start all", "", "", ""},
	} {
		name, attr, word := AttributeInValue(tc.line)
		if name != tc.name || attr != tc.attr || word != tc.word {
			t.Errorf("%q: %q %q %q, want %q %q %q", tc.line, name, attr, word, tc.name, tc.attr, tc.word)
		}
	}
	if got, want := AttributeInValueWarning("w", "cmd", "tags=web"),
		"'tags=web' is part of the value of cmd: a line sets one attribute, the rest of the line its value; to set tags, write 'service w tags=web' on a line of its own"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}
