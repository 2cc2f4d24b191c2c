package ctl

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/cfk/cfk/messages"
)

// TestFleetStatusEachServiceOnce: `cfkctl fleet status b @web`, b tagged
// web, prints b once per host, as `cfkctl status b @web` does (REFERENCE
// §12.7: per service); the hub asks each selector apart (§12.3), and
// cfkctl printed b twice on every host, in --json too.
func TestFleetStatusEachServiceOnce(t *testing.T) {
	line := func(host string, kind messages.FleetLineKind, text string) string {
		return messages.FleetLine{Host: host, Kind: kind, Text: text}.Format()
	}
	b := "b\tstopped\t\t\t\t\t\t"
	f := newFakeServer(t, map[string]string{
		"command fleet status service b tag web": ok(
			line("web1", messages.FleetBody, b), line("web1", messages.FleetBody, b), line("web1", messages.FleetOK, ""),
			line("web2", messages.FleetBody, b), line("web2", messages.FleetBody, b), line("web2", messages.FleetOK, "")),
	})
	r := runCtl(t, f, runCfg{}, "fleet", "status", "b", "@web")
	if r.code != 0 || strings.Count(r.stdout, "web1\t") != 1 || strings.Count(r.stdout, "web2\t") != 1 {
		t.Errorf("fleet status b @web: exit %d, want b once per host:\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runCtl(t, f, runCfg{}, "--json", "fleet", "status", "b", "@web")
	var hosts []struct{ Services []any }
	if err := json.Unmarshal([]byte(r.stdout), &hosts); err != nil || len(hosts) != 2 || len(hosts[0].Services) != 1 || len(hosts[1].Services) != 1 {
		t.Errorf("--json fleet status b @web: %v, want b once per host:\n%s", err, r.stdout)
	}
}
