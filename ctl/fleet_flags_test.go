package ctl

import (
	"path/filepath"
	"testing"

	"github.com/cfk/cfk/messages"
)

// --hosts and --rolling-hosts are given once, --hosts with no empty
// entry; else a usage error, before any connection (REFERENCE §12.7):
// the last --hosts was taken, the others dropped, and an empty --hosts
// sent the request to every host.
func TestFleetFlagsRefused(t *testing.T) {
	const help = "\nusage: cfkctl fleet [--hosts NAME,@TAG,...] SUBCOMMAND [ARGS...]\nRun 'cfkctl help fleet' for details.\n"
	for _, tc := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"fleet", "status", "--hosts", "web1", "--hosts", "web2"}, "cfkctl: --hosts given twice: give one list, comma-separated (--hosts a,b)"},
		{[]string{"fleet", "restart", "--hosts=web1", "@web", "--hosts", "web1"}, "cfkctl: --hosts given twice: give one list, comma-separated (--hosts a,b)"},
		{[]string{"fleet", "restart", "--rolling-hosts", "@web", "--rolling-hosts"}, "cfkctl: --rolling-hosts given twice"},
		{[]string{"fleet", "restart", "--hosts", "", "@web"}, "cfkctl: --hosts needs host names or @tags: --hosts NAME,@TAG,..."},
		{[]string{"fleet", "restart", "--hosts=", "@web"}, "cfkctl: --hosts needs host names or @tags: --hosts NAME,@TAG,..."},
		{[]string{"fleet", "status", "--hosts", "web1,,web2"}, "cfkctl: empty host name in --hosts web1,,web2 (host names and @tags, comma separated)"},
		{[]string{"fleet", "status", "--hosts", "web1,"}, "cfkctl: empty host name in --hosts web1, (host names and @tags, comma separated)"},
		{[]string{"fleet", "certs", filepath.Join(t.TempDir(), "certs"), "--hub", "hub=127.0.0.1:7000", "--hosts", "web1"}, "cfkctl: --hosts does not apply to fleet certs"},
		{[]string{"fleet", "status", "--rolling-hosts"}, "cfkctl: --rolling-hosts only applies to fleet restart"},
		// as cfkctl signal: a usage error, nothing sent (it went to the
		// hub, which refused it, exit status 1)
		{[]string{"fleet", "signal", "BOGUS", "a"}, "cfkctl: unknown signal 'BOGUS'"},
		{[]string{"fleet", "signal", "--hosts", "web1", "SIGFOO", "a"}, "cfkctl: unknown signal 'SIGFOO'"},
	} {
		cmdCase{args: tc.args, code: ExitUsage, stderr: tc.stderr + help}.check(t)
	}
	cmdCase{args: []string{"status", "--hosts", ""}, code: ExitUsage,
		stderr: "cfkctl: --hosts only applies to fleet\nusage: cfkctl status [REF...]\nRun 'cfkctl help status' for details.\n"}.check(t)
}

// Given once, they make one hosts= word and rolling-hosts.
func TestFleetFlagsSent(t *testing.T) {
	line := messages.FleetLine{Host: "web1", Kind: messages.FleetOK}.Format()
	req := "command fleet hosts=web1,@eu rolling-hosts restart tag web"
	cmdCase{args: []string{"fleet", "restart", "--hosts", "web1,@eu", "--rolling-hosts", "@web"},
		replies: map[string]string{req: ok(line)}, reqs: []string{req}, stdout: ""}.check(t)
}
