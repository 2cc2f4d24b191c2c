package messages

import (
	"reflect"
	"testing"
)

// A plan line of a later cfkd, a tail after a head that ParseChange
// knows (as ` (running a former declaration)` once was), failed a whole
// cfkctl apply: ParseChangeHead reads its head (REFERENCE §1.6), and
// refuses a line whose head it does not know.
func TestChangeHeadOfALaterLine(t *testing.T) {
	for _, tc := range []struct {
		line string
		want Change
	}{
		{"~ web: cmd, timeout (restarts at 03:00)", Change{Op: OpChange, Kind: KindService, Name: "web"}},
		{"~ web: cmd, timeout_secs", Change{Op: OpChange, Kind: KindService, Name: "web"}},
		{"+ web (from the template t)", Change{Op: OpAdd, Kind: KindService, Name: "web"}},
		{"- socket s: unbound at the next apply", Change{Op: OpRemove, Kind: KindSocket, Name: "s"}},
		{"~ proxy p (running a former declaration) (drained)", Change{Op: OpChange, Kind: KindProxy, Name: "p"}},
		{"+ socket (x)", Change{Op: OpAdd, Kind: KindService, Name: "socket"}},
		{"~ web", Change{Op: OpChange, Kind: KindService, Name: "web"}},
		// what ParseChange reads, it reads the head of
		{"~ web: desc (running a former declaration)", Change{Op: OpChange, Kind: KindService, Name: "web"}},
		{"- proxy p", Change{Op: OpRemove, Kind: KindProxy, Name: "p"}},
	} {
		got, err := ParseChangeHead(tc.line)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseChangeHead(%q) = %+v, %v; want %+v", tc.line, got, err, tc.want)
		}
	}
	for _, bad := range []string{
		"", "+", "+web", "* web", "+ 1web", "+ timer web", "+ timer web: cmd", "+ service web", "+ socket web x",
		"~ web x", "~ web:cmd", "web1: Service 'web1' failed", "# note", "no changes", "+  web",
	} {
		if c, err := ParseChangeHead(bad); err == nil {
			t.Errorf("ParseChangeHead(%q) = %+v, want an error", bad, c)
		}
	}
}
