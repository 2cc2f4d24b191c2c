package messages

import (
	"slices"
	"testing"
)

// Two spellings of one ready=tcp: address or of one numeric id are one
// value once parsed, so that an apply finds them equal (REFERENCE §1.4):
// the plan said '~ a: ready' and restarted the service. A user name and
// its id stay apart: which id a name is, only the launch's lookup says.
func TestEquivalentSpellingsPlanNoChange(t *testing.T) {
	for _, tc := range []struct {
		old, new string
		attrs    []string
	}{
		{"service a ready=tcp:127.0.0.1:80", "service a ready=tcp:127.0.0.1:0080", nil},
		{"service a ready=tcp:[::1]:80", "service a ready=tcp:[0:0::1]:080", nil},
		{"service a ready=tcp:localhost:80", "service a ready=tcp:localhost:00080", nil},
		{"service a ready=tcp:127.0.0.1:80", "service a ready=tcp:127.0.0.1:81", []string{"ready"}},
		{"service a ready=http:http://h:80/", "service a ready=http:http://h:0080/", nil},
		{"service a ready=http:http://h.example:8080/health?x=Y", "service a ready=http:HTTP://H.Example:08080/health?x=Y", nil},
		{"service a ready=http:https://[::1]:8443/", "service a ready=http:https://[0:0::1]:8443/", nil},
		{"service a ready=http:http://u:P@h:80/", "service a ready=http:http://u:P@H:00080/", nil},
		// what the probe sends differently, or a server may tell apart,
		// stays a change: the Host header without or with the default
		// port, the path, the query, their escapes, the user
		{"service a ready=http:http://h/", "service a ready=http:http://h:80/", []string{"ready"}},
		{"service a ready=http:http://h:80/a", "service a ready=http:http://h:80/A", []string{"ready"}},
		{"service a ready=http:http://h:80/~", "service a ready=http:http://h:80/%7e", []string{"ready"}},
		{"service a ready=http:http://h:80/?x=y", "service a ready=http:http://h:80/?x=Y", []string{"ready"}},
		{"service a ready=http:http://u@h:80/", "service a ready=http:http://U@h:80/", []string{"ready"}},
		{"service a ready=http:http://h:80/", "service a ready=http:https://h:80/", []string{"ready"}},
		{"service a user=0", "service a user=000", nil},
		{"service a group=7", "service a group=0007", nil},
		{"service a user=root", "service a user=0", []string{"user"}},
	} {
		a := declareLines(t, "service a cmd=sleep 1\n"+tc.old).Services["a"]
		b := declareLines(t, "service a cmd=sleep 1\n"+tc.new).Services["a"]
		if got := DiffService(a, b); !slices.Equal(got, tc.attrs) {
			t.Errorf("%q then %q: %q, want %q", tc.old, tc.new, got, tc.attrs)
		}
	}
	s := declareLines(t, "socket s host=unix/\nsocket s service=/tmp/x\nsocket s user=0010\n").Sockets["s"]
	if s.User != "10" {
		t.Errorf("socket user=0010 is %q, want 10", s.User)
	}
}
