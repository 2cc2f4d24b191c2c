package suggest

import "testing"

// The name meant is one close name, or none when two are as close.
func TestClosest(t *testing.T) {
	names := []string{"web1", "web2", "status", "start", "inspect", "respawn_on_fail"}
	for _, tc := range []struct{ name, want string }{
		{"sta", ""}, // begins status and start
		{"stat", "status"},
		{"statu", "status"},
		{"strat", "start"},
		{"insp", "inspect"},
		{"respawn_on_failure", "respawn_on_fail"},
		{"web", ""}, // web1 or web2
		{"wbe1", "web1"},
		{"x", ""},
		{"bogus", ""},
	} {
		if got := Closest(tc.name, names); got != tc.want {
			t.Errorf("Closest(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}
