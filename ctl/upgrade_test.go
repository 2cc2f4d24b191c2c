package ctl

import (
	"testing"
	"time"
)

// TestUpgradedCommand: `cfkctl upgraded` says what cfkd answers to
// `command upgraded` (REFERENCE §13.4), its line as it is with --json.
func TestUpgradedCommand(t *testing.T) {
	at := time.Unix(1795274153, 0).Format("2006-01-02 15:04:05")
	rolled := "2\trolled-back\t1795274153\tthe upgrade in place failed and was rolled back: cfkd 2 (/bin/cfkd): boom: cfkd 1, the former one, took every service over again"
	for _, tc := range []cmdCase{
		{name: "none", args: []string{"upgraded"}, replies: map[string]string{"command upgraded": ok("0\tnone\t0\t")},
			reqs: []string{"command upgraded"}, stdout: "no upgrade in place since cfkd started\n"},
		{name: "rolled back", args: []string{"upgraded"}, replies: map[string]string{"command upgraded": ok(rolled)},
			reqs: []string{"command upgraded"}, stdout: at + ": the upgrade in place failed and was rolled back: cfkd 2 (/bin/cfkd): boom: cfkd 1, the former one, took every service over again\n"},
		{name: "json", args: []string{"upgraded", "--json"}, replies: map[string]string{"command upgraded": ok(rolled)},
			reqs: []string{"command upgraded"}, stdout: `{"ok":true,"lines":["2\trolled-back\t1795274153\tthe upgrade in place failed and was rolled back: cfkd 2 (/bin/cfkd): boom: cfkd 1, the former one, took every service over again"]}` + "\n"},
		{name: "older cfkd", args: []string{"upgraded"}, replies: map[string]string{"command upgraded": fail("unknown command 'upgraded'")},
			reqs: []string{"command upgraded"}, code: 1, stderr: "unknown command 'upgraded'\n"},
	} {
		t.Run(tc.name, tc.check)
	}
}
