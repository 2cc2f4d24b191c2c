package messages

import "testing"

// TestIsExit: `exit` is the line once cleaned as REFERENCE §1 says: a
// comment after white space is no part of it; a `#` inside a word is.
func TestIsExit(t *testing.T) {
	for line, want := range map[string]bool{
		"exit": true, "EXIT": true, "  ExIt \r": true, "exit   ": true, "\texit\t": true,
		"exit # bye": true, "exit\t#bye": true, "exit #": true,
		"exit#bye": false, "exit now": false, "# exit": false, "": false, "exits": false,
		"command exit": false,
	} {
		if got := IsExit(line); got != want {
			t.Errorf("IsExit(%q) = %v, want %v", line, got, want)
		}
	}
}
