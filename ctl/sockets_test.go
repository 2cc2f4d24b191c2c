package ctl

import "testing"

func TestSocketCommands(t *testing.T) {
	replies := map[string]string{
		"command sockets": ok(
			"web\t127.0.0.1\t8080\tbound\tweb1,web2",
			"adm\tunix/\t/run/adm.sock\tunbound\t",
			"v6\t::1\t0\tunbound\tx",
		),
		"command unbind web":                ok(),
		"command unbind busy":               fail("socket 'busy' is in use by web1"),
		"command rollingrestart tag web":    ok("done 2"),
		"command rollingrestart service w3": ok("done 1", "w4: not restarted: the rolling restart stopped at w3"),
	}
	for _, tc := range []cmdCase{
		{name: "sockets", args: []string{"sockets"}, replies: replies, reqs: []string{"command sockets"},
			stdout: "bound    web                  127.0.0.1:8080           web1,web2\n" +
				"unbound  adm                  unix:/run/adm.sock\n" +
				"unbound  v6                   [::1]:0                  x\n"},
		{name: "sockets colours", args: []string{"sockets"}, replies: replies, cfg: runCfg{terminal: true}, reqs: []string{"command sockets"},
			stdout: "\x1b[1;32mbound\x1b[0m    web                  127.0.0.1:8080           web1,web2\n" +
				"unbound  adm                  unix:/run/adm.sock\n" +
				"unbound  v6                   [::1]:0                  x\n"},
		{name: "sockets json", args: []string{"--json", "sockets"}, replies: replies, reqs: []string{"command sockets"},
			stdout: `[{"name":"web","host":"127.0.0.1","service":"8080","address":"127.0.0.1:8080","bound":true,"services":["web1","web2"]},` +
				`{"name":"adm","host":"unix/","service":"/run/adm.sock","address":"unix:/run/adm.sock","bound":false,"services":[]},` +
				`{"name":"v6","host":"::1","service":"0","address":"[::1]:0","bound":false,"services":["x"]}]` + "\n"},
		{name: "sockets takes nothing", args: []string{"sockets", "web"}, code: ExitUsage,
			stderr: "cfkctl: sockets takes no argument\nusage: cfkctl sockets\nRun 'cfkctl help sockets' for details.\n"},
		{name: "unbind", args: []string{"unbind", "web"}, replies: replies, reqs: []string{"command unbind web"}},
		{name: "unbind in use", args: []string{"unbind", "busy"}, replies: replies, reqs: []string{"command unbind busy"},
			code: 1, stderr: "socket 'busy' is in use by web1\n"},
		{name: "unbind needs a name", args: []string{"unbind"}, code: ExitUsage,
			stderr: "cfkctl: unbind takes exactly one argument: SOCKNAME\nusage: cfkctl unbind SOCKNAME\nRun 'cfkctl help unbind' for details.\n"},
		{name: "rolling restart", args: []string{"restart", "--rolling", "@web"}, replies: replies,
			reqs: []string{"command rollingrestart tag web"}},
		{name: "rolling restart stopped", args: []string{"--rolling", "restart", "w3"}, replies: replies,
			reqs: []string{"command rollingrestart service w3"}, code: 1,
			stderr: "warning: w4: not restarted: the rolling restart stopped at w3\ncfkctl: the rolling restart stopped before the end (see the lines above)\n"},
		{name: "rolling restart stopped, json", args: []string{"--json", "--rolling", "restart", "w3"}, replies: replies,
			reqs: []string{"command rollingrestart service w3"}, code: 1,
			stdout: `{"ok":false,"lines":["done 1","w4: not restarted: the rolling restart stopped at w3"]}` + "\n"},
		{name: "rolling is for restart only", args: []string{"start", "--rolling", "@web"}, code: ExitUsage,
			stderr: "cfkctl: --rolling only applies to restart and apply\nusage: cfkctl start REF...\nRun 'cfkctl help start' for details.\n"},
	} {
		t.Run(tc.name, tc.check)
	}
}

// A UNIX socket's user, group and mode (REFERENCE §1.2) come as a sixth
// field of its sockets line: cfkctl shows them after the services (`-`
// for none), and --json as user, group and mode, left out when not set.
func TestSocketFileAttrs(t *testing.T) {
	replies := map[string]string{
		"command sockets": ok(
			"app\tunix/\t/run/app.sock\tbound\tw1\tuser=nobody group=nogroup mode=0640",
			"fcgi\tunix/\t/run/fcgi.sock\tunbound\t\tgroup=www-data",
			"web\t127.0.0.1\t8080\tbound\tweb1",
		),
	}
	for _, tc := range []cmdCase{
		{name: "sockets", args: []string{"sockets"}, replies: replies, reqs: []string{"command sockets"},
			stdout: "bound    app                  unix:/run/app.sock       w1  user=nobody group=nogroup mode=0640\n" +
				"unbound  fcgi                 unix:/run/fcgi.sock      -  group=www-data\n" +
				"bound    web                  127.0.0.1:8080           web1\n"},
		{name: "sockets json", args: []string{"--json", "sockets"}, replies: replies, reqs: []string{"command sockets"},
			stdout: `[{"name":"app","host":"unix/","service":"/run/app.sock","address":"unix:/run/app.sock","bound":true,"services":["w1"],"user":"nobody","group":"nogroup","mode":"0640"},` +
				`{"name":"fcgi","host":"unix/","service":"/run/fcgi.sock","address":"unix:/run/fcgi.sock","bound":false,"services":[],"group":"www-data"},` +
				`{"name":"web","host":"127.0.0.1","service":"8080","address":"127.0.0.1:8080","bound":true,"services":["web1"]}]` + "\n"},
	} {
		t.Run(tc.name, tc.check)
	}
}
