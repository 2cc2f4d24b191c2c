package ctl

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/cfk/cfk/messages"
)

// With --json, a fleet command whose hosts did not all answer prints
// exactly one JSON value (REFERENCE §8.3), says the failure on stderr and
// exits 1 (§12.7). status and the verbs printed a second value after the
// array ({"ok":false,...}), and hosts exited 0.
func TestFleetJSONWithAHostDown(t *testing.T) {
	line := func(host string, kind messages.FleetLineKind, text string) string {
		return messages.FleetLine{Host: host, Kind: kind, Text: text}.Format()
	}
	f := newFakeServer(t, map[string]string{
		"command fleet hosts": ok(
			line("h1", messages.FleetHost, "127.0.0.2:7204"), line("h1", messages.FleetBody, "cfk 1"), line("h1", messages.FleetOK, ""),
			line("h3", messages.FleetHost, "127.0.0.4:7204"), line("h3", messages.FleetDown, "cannot connect to 127.0.0.4:7204")),
		"command fleet status all": ok(
			line("h1", messages.FleetOK, ""),
			line("h3", messages.FleetDown, "cannot connect to 127.0.0.4:7204")),
		"command fleet restart service a": ok(
			line("h1", messages.FleetBody, "done 1"), line("h1", messages.FleetOK, ""),
			line("h3", messages.FleetDown, "cannot connect to 127.0.0.4:7204")),
	})
	for _, args := range [][]string{{"fleet", "hosts"}, {"fleet", "status"}, {"fleet", "restart", "a"}} {
		r := runCtl(t, f, runCfg{}, append([]string{"--json"}, args...)...)
		var v any
		if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
			t.Errorf("%s --json: stdout is not one JSON value (%v):\n%s", strings.Join(args, " "), err, r.stdout)
		}
		if r.code != ExitError || !strings.Contains(r.stderr, "fleet: 1 of 2 hosts failed: h3") {
			t.Errorf("%s --json: exit %d, stderr %q; want %d and the failure", strings.Join(args, " "), r.code, r.stderr, ExitError)
		}
		// each host says its outcome's kind, which error alone does not
		// (the verbs' error is the bare text of a down, an ERROR or a skip)
		var hosts []struct{ Host, Outcome string }
		json.Unmarshal([]byte(r.stdout), &hosts)
		if len(hosts) != 2 || hosts[0].Outcome != "ok" || hosts[1].Outcome != "down" {
			t.Errorf("%s --json: outcomes %+v, want h1 ok, h3 down", strings.Join(args, " "), hosts)
		}
	}
}
