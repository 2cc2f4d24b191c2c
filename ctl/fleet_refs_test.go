package ctl

import (
	"testing"

	"github.com/cfk/cfk/messages"
)

// TestFleetVerbSeveralRefsAllDone: `cfkctl fleet restart a b` runs
// two lines on each host, each answering `done 1`: no service failed, so
// the exit status is 0 (REFERENCE §12.7: 1 only when a host is down,
// answered ERROR, was skipped, or reported services that failed).
func TestFleetVerbSeveralRefsAllDone(t *testing.T) {
	line := func(host string, kind messages.FleetLineKind, text string) string {
		return messages.FleetLine{Host: host, Kind: kind, Text: text}.Format()
	}
	f := newFakeServer(t, map[string]string{
		"command fleet restart service a service b": ok(
			line("web1", messages.FleetBody, "done 1"), line("web1", messages.FleetBody, "done 1"), line("web1", messages.FleetOK, ""),
			line("web2", messages.FleetBody, "done 1"), line("web2", messages.FleetBody, "done 1"), line("web2", messages.FleetOK, "")),
	})
	r := runCtl(t, f, runCfg{}, "fleet", "restart", "a", "b")
	if r.code != 0 {
		t.Fatalf("exit %d, want 0: every host answered OK, `done 1` to each line\nstdout:\n%sstderr:\n%s", r.code, r.stdout, r.stderr)
	}
}
