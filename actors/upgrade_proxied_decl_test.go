package actors

import (
	"strings"
	"testing"
)

// REFERENCE §6.4, §13.2: a proxy keeps the lines it forwards for a name
// in the tail of the declaration it last started under that name; once
// that service is destroyed, they are logged, not kept, also in a
// service of its name declared since, until that one is started under
// the proxy. Its record of the name did not cross an upgrade in place:
// the new cfkd took the name's lines for the service declared then, or
// declared later, and its tail kept the destroyed one's orphan's lines.
// The state names that declaration (ProxiedService.Decl); one of a cfkd
// that did not carry it is adopted as before.
func TestUpgradeKeepsAFormerDeclarationsProxiedLinesOutOfTheTail(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name               string
		destroy, redeclare bool // before the upgrade: destroyed; declared again
		noDecl             bool // a state of a cfkd that did not carry it
		want               string
	}{
		{name: "the same declaration", want: "orphan"},
		{name: "declared again before", destroy: true, redeclare: true},
		{name: "declared after", destroy: true},
		{name: "declared again before, not carried", destroy: true, redeclare: true, noDecl: true, want: "orphan"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// s under p, its start given up and not answered: its record
			// crosses (a name whose starts are all answered is forgotten)
			old, p := givenUpStart(t)
			if tc.destroy {
				old.ok("command destroy service s")
			}
			if tc.redeclare {
				old.ok("proxy p service s cmd=sleep 100")
			}
			ex := old.exportSettled(true)
			if len(ex.Proxies) != 1 || len(ex.Proxies[0].Services) != 1 {
				t.Fatalf("exported proxies %+v, want p with s", ex.Proxies)
			}
			px := &ex.Proxies[0]
			ps := &px.Services[0]
			if ps.Decl == 0 {
				t.Fatalf("exported %+v, with no declaration", *ps)
			}
			if tc.noDecl {
				ps.Decl = 0
			}
			logs := &logCapture{changed: make(chan struct{})}
			nw := adoptProxied(t, ex, px, captureServiceLog(logs))
			if tc.destroy && !tc.redeclare {
				nw.ok("proxy p service s cmd=sleep 100")
			}
			p.log("out:s:orphan")
			p.log("out:-:after the orphan") // handled after it, in order
			logs.wait(t, "after the orphan")
			if got := strings.Join(nw.ok("command tail s"), "|"); got != tc.want {
				t.Errorf("tail of s %q, want %q", got, tc.want)
			}
			// and so at the new cfkd's own upgrade: the record names the
			// declaration of s now, or none of its declarations
			again := nw.export(false)
			want := uint64(formerTailGen)
			if tc.want != "" {
				want = again.Services[0].Decl
			}
			if ps := again.Proxies[0].Services; len(ps) != 1 || ps[0].Decl != want {
				t.Errorf("exported again %+v, want declaration %d", ps, want)
			}
		})
	}
}
