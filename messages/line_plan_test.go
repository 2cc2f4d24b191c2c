package messages

import (
	"reflect"
	"strings"
	"testing"
)

func TestChangeLines(t *testing.T) {
	for _, tc := range []struct {
		c    Change
		line string
	}{
		{Change{Op: OpAdd, Kind: KindService, Name: "web4"}, "+ web4"},
		{Change{Op: OpChange, Kind: KindService, Name: "web1", Attrs: []string{"cmd", "add_env"}}, "~ web1: cmd, add_env"},
		{Change{Op: OpRemove, Kind: KindService, Name: "old"}, "- old"},
		{Change{Op: OpAdd, Kind: KindSocket, Name: "web"}, "+ socket web"},
		{Change{Op: OpChange, Kind: KindSocket, Name: "web", Attrs: []string{"service"}}, "~ socket web: service"},
		{Change{Op: OpRemove, Kind: KindProxy, Name: "p"}, "- proxy p"},
		// a service called socket or proxy
		{Change{Op: OpAdd, Kind: KindService, Name: "socket"}, "+ socket"},
		{Change{Op: OpChange, Kind: KindService, Name: "proxy", Attrs: []string{"cmd"}}, "~ proxy: cmd"},
		// a run of a former declaration (REFERENCE §1.6)
		{Change{Op: OpChange, Kind: KindService, Name: "web", Former: true}, "~ web: (running a former declaration)"},
		{Change{Op: OpChange, Kind: KindService, Name: "web", Attrs: []string{"desc"}, Former: true}, "~ web: desc (running a former declaration)"},
		// a proxy's process of a former declaration
		{Change{Op: OpChange, Kind: KindProxy, Name: "p", Former: true}, "~ proxy p: (running a former declaration)"},
		{Change{Op: OpChange, Kind: KindProxy, Name: "p", Attrs: []string{"cmd"}, Former: true}, "~ proxy p: cmd (running a former declaration)"},
		// a bound socket whose bind was of a former declaration
		{Change{Op: OpChange, Kind: KindSocket, Name: "s", Former: true}, "~ socket s: (bound with a former declaration)"},
		{Change{Op: OpChange, Kind: KindSocket, Name: "s", Attrs: []string{"service"}, Former: true}, "~ socket s: service (bound with a former declaration)"},
		// changes that take effect without a restart
		{Change{Op: OpChange, Kind: KindService, Name: "web", Attrs: []string{"stopwait_secs"}, InPlace: true}, "~ web: stopwait_secs (in place)"},
		{Change{Op: OpChange, Kind: KindService, Name: "web", Attrs: []string{"desc", "cmd"}, InPlace: true}, "~ web: desc, cmd (in place)"},
	} {
		if got := tc.c.Format(); got != tc.line {
			t.Errorf("Format(%+v) = %q, want %q", tc.c, got, tc.line)
		}
		got, err := ParseChange(tc.line)
		if err != nil || !reflect.DeepEqual(got, tc.c) {
			t.Errorf("ParseChange(%q) = %+v, %v", tc.line, got, err)
		}
	}
	for _, bad := range []string{
		"", "no changes", "+", "+web", "* web", "+ 1web", "~ web", "+ web: cmd", "~ web: ", "~ web: Cmd",
		"+ service web", "+ daemon web", "+ socket web x", "~ web: cmd,desc", "web1: Service 'web1' failed",
		"~ web (running a former declaration)", "~ web: cmd: (running a former declaration)", "+ web: (running a former declaration)",
		"~ socket s: (running a former declaration)", "~ web: (running a former declaration) (running a former declaration)",
		"~ web: (bound with a former declaration)", "~ proxy p: (bound with a former declaration)", "+ socket s: (bound with a former declaration)",
		"~ socket s (bound with a former declaration)", "~ socket s: (bound with a former declaration) (bound with a former declaration)",
		"~ web: (in place)", "+ web: (in place)", "~ socket s: mode (in place)", "~ proxy p: cmd (in place)",
		"~ web: desc (running a former declaration) (in place)", "~ web: desc (in place) (running a former declaration)",
		"~ web: desc (in place) (in place)", "~ web: desc: (in place)", "~ web (in place)",
	} {
		if c, err := ParseChange(bad); err == nil {
			t.Errorf("ParseChange(%q) = %+v, want an error", bad, c)
		}
	}
}

func FuzzChangeRoundTrip(f *testing.F) {
	f.Add(byte('~'), "", "web1", "cmd", "add_env", "~ web1: cmd, add_env")
	f.Add(byte('+'), "socket", "web", "", "", "- proxy p")
	f.Add(byte('-'), "service", "a b", "x,y", "", "+ socket")
	f.Add(byte('~'), "proxy", "p", "cmd", "", "~ proxy p: cmd (restarted at 03:00)")
	f.Fuzz(func(t *testing.T, op byte, kind, name, a1, a2, raw string) {
		if kind == "" {
			kind = string(KindService)
		}
		// the head of a later cfkd's line (REFERENCE §1.6): what
		// ParseChange reads, ParseChangeHead reads the head of; what it
		// reads begins with the head's Format
		c, err := ParseChange(raw)
		h, errH := ParseChangeHead(raw)
		if err == nil && (errH != nil || h.Op != c.Op || h.Kind != c.Kind || h.Name != c.Name) {
			t.Fatalf("ParseChange(%q) = %+v; ParseChangeHead = %+v, %v", raw, c, h, errH)
		}
		if errH == nil {
			after, ok := strings.CutPrefix(raw, h.Format())
			if !ok || after != "" && !strings.HasPrefix(after, ": ") && !strings.HasPrefix(after, " (") {
				t.Fatalf("ParseChangeHead(%q) = %+v, which is not its head", raw, h)
			}
		}
		x := Change{Op: ChangeOp(op), Kind: DeclKind(kind), Name: name, Attrs: listOf(a1, a2), Former: len(raw)%2 == 1, InPlace: len(raw)%3 == 1}
		roundTrip(t, x, raw, ParseChange, func(a, b Change) bool { return reflect.DeepEqual(a, b) }, true)
	})
}
