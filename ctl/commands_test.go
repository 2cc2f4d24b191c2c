package ctl

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// cmdCase is one run of cfkctl against the fake server.
type cmdCase struct {
	name    string
	args    []string
	cfg     runCfg
	replies map[string]string
	reqs    []string // requests expected, the final exit left out
	code    int
	stdout  string
	stderr  string
}

func (tc cmdCase) check(t *testing.T) {
	t.Helper()
	f := newFakeServer(t, tc.replies)
	r := runCtl(t, f, tc.cfg, tc.args...)
	args := make([]string, len(tc.args))
	for i, a := range tc.args {
		if len(a) > 60 {
			a = a[:60] + "..."
		}
		args[i] = a
	}
	if r.code != tc.code || r.stdout != tc.stdout || r.stderr != tc.stderr {
		t.Errorf("cfkctl %q:\n code %d, want %d\n stdout %q\n   want %q\n stderr %q\n   want %q",
			args, r.code, tc.code, r.stdout, tc.stdout, r.stderr, tc.stderr)
	}
	if tc.code == ExitUsage || tc.reqs == nil {
		if n := f.connections(); n != 0 {
			t.Errorf("cfkctl %q: %d connections, want none (requests %q)", args, n, f.requests())
		}
		return
	}
	want := append(append([]string{}, tc.reqs...), "exit")
	if got := f.waitRequests(t, len(want)); !reflect.DeepEqual(got, want) {
		t.Errorf("cfkctl %q: requests\n %q\nwant\n %q", args, got, want)
	}
	if n := f.connections(); n != 1 {
		t.Errorf("cfkctl %q: %d connections, want 1", args, n)
	}
}

const notFound = "Couldn't find a valid service. bailing."

var (
	twoAgo   = epoch(2 * time.Second)
	hourAgo  = epoch(time.Hour)
	statusOK = map[string]string{
		"command status all": ok(
			"svc1\trunning\t4242\t"+twoAgo+"\t\t\t\tsleep 100",
			"svc2\tstopped\t\t"+hourAgo+"\t"+epoch(3*time.Second)+"\t\t\t",
			"web1\tfail\t\t"+hourAgo+"\t"+epoch(3*time.Second)+"\t\tExited with error 1\t",
			"new\tstopped\t\t\t\t\t\t",
		),
		"command status service svc1": ok("svc1\trunning\t4242\t" + twoAgo + "\t\t\t\tsleep 100"),
		"command status service svc2": ok("svc2\tstopped\t\t" + hourAgo + "\t" + epoch(3*time.Second) + "\t\t\t"),
		"command status tag web":      ok("web1\tfail\t\t" + hourAgo + "\t" + epoch(3*time.Second) + "\t\tExited with error 1\t"),
		"command status tag all":      ok("svc1\trunning\t4242\t"+twoAgo+"\t\t\t\tsleep 100", "svc2\tstopped\t\t"+hourAgo+"\t"+epoch(3*time.Second)+"\t\t\t"),
		"command status service nope": fail(notFound),
		"command status tag empty":    ok(),
		"command inspect service svc1": ok(`{"name":"svc1","state":"running","pid":4242,"start_time":"2009-11-11T16:16:09.25Z",` +
			`"running_cmd":"sleep 100","retries":0,"crashes":0,"tags":[],"cmd":"sleep 100"}`),
	}
)

const (
	lineSvc1 = "running  svc1                   2 seconds ago (Wed Nov 11 16:16:09 2009)\n"
	lineSvc2 = "stopped  svc2                   3 seconds ago (Wed Nov 11 16:16:08 2009)\n"
	lineWeb1 = "fail     web1                   3 seconds ago (Wed Nov 11 16:16:08 2009) [Exited with error 1]\n"
	lineNew  = "stopped  new\n"
)

func TestStatusCommand(t *testing.T) {
	for _, tc := range []cmdCase{
		{name: "all by default", args: []string{"status"}, replies: statusOK,
			reqs: []string{"command status all"}, stdout: lineSvc1 + lineSvc2 + lineWeb1 + lineNew},
		{name: "explicit all", args: []string{"status", "all"}, replies: statusOK,
			reqs: []string{"command status all"}, stdout: lineSvc1 + lineSvc2 + lineWeb1 + lineNew},
		{name: "all wins", args: []string{"status", "svc1", "all"}, replies: statusOK,
			reqs: []string{"command status all"}, stdout: lineSvc1 + lineSvc2 + lineWeb1 + lineNew},
		{name: "names and tags in order", args: []string{"status", "@web", "svc1"}, replies: statusOK,
			reqs: []string{"command status tag web", "command status service svc1"}, stdout: lineWeb1 + lineSvc1},
		{name: "each service once", args: []string{"status", "@all", "svc2", "svc1"}, replies: statusOK,
			reqs:   []string{"command status tag all", "command status service svc2", "command status service svc1"},
			stdout: lineSvc1 + lineSvc2},
		{name: "same reference once", args: []string{"status", "svc1", "svc1"}, replies: statusOK,
			reqs: []string{"command status service svc1"}, stdout: lineSvc1},
		{name: "nothing to show", args: []string{"status", "@empty"}, replies: statusOK,
			reqs: []string{"command status tag empty"}},
		{name: "unknown service", args: []string{"status", "svc1", "nope", "svc2"}, replies: statusOK,
			reqs: []string{"command status service svc1", "command status service nope"}, code: 1, stderr: notFound + "\n"},
		{name: "no colours off a terminal even without NO_COLOR", args: []string{"status", "svc1"}, replies: statusOK,
			reqs: []string{"command status service svc1"}, stdout: lineSvc1},
		{name: "colours on a terminal", args: []string{"status", "svc1", "@web"}, replies: statusOK, cfg: runCfg{terminal: true},
			reqs: []string{"command status service svc1", "command status tag web"},
			stdout: "\x1b[1;32mrunning\x1b[0m" + strings.TrimPrefix(lineSvc1, "running") +
				"\x1b[1;31mfail\x1b[0m" + strings.TrimPrefix(lineWeb1, "fail")},
		{name: "NO_COLOR on a terminal", args: []string{"status", "svc1"}, replies: statusOK,
			cfg:  runCfg{terminal: true, env: map[string]string{"NO_COLOR": "1"}},
			reqs: []string{"command status service svc1"}, stdout: lineSvc1},
		{name: "no colours in JSON", args: []string{"--json", "status", "svc1"}, replies: statusOK, cfg: runCfg{terminal: true},
			reqs: []string{"command inspect service svc1"},
			stdout: `[{"name":"svc1","state":"running","pid":4242,"start_time":` + twoAgo + `,"stop_time":null,"proxy":null,` +
				`"fail_reason":null,"running_cmd":"sleep 100","retries":0,"crashes":0,"next_start":null,` +
				`"restarts":0,"last_exit":null,"last_exit_time":null,"notify_status":null,"last_error":null,"running_former":false,"done":false,"waiting_for":null}]` + "\n"},
		{name: "fatal says why, from inspect", args: []string{"status", "j"},
			replies: map[string]string{
				"command status service j":  ok("j\tfatal\t\t\t\t\t\t"),
				"command inspect service j": ok(`{"name":"j","state":"fatal","retries":2,"crashes":0,"restarts":0,"last_error":"Could not start: exec /no/such: no such file or directory","tags":[]}`),
			},
			reqs:   []string{"command status service j", "command inspect service j"},
			stdout: "fatal    j [Could not start: exec /no/such: no such file or directory]\n"},
		{name: "backoff after crashes says how it last ended, from inspect", args: []string{"status", "c"},
			replies: map[string]string{
				"command status service c":  ok("c\tbackoff\t\t\t\t\t\t"),
				"command inspect service c": ok(`{"name":"c","state":"backoff","retries":0,"crashes":3,"restarts":3,"last_exit":"exit 3","tags":[]}`),
			},
			reqs:   []string{"command status service c", "command inspect service c"},
			stdout: "backoff  c [crashed: exit 3]\n"},
		{name: "a malformed line is an error", args: []string{"status"},
			replies: map[string]string{"command status all": ok("a\trunning\t1\t"+twoAgo+"\t\t\t\t", "b\tstopped", "c")},
			reqs:    []string{"command status all"}, code: 1,
			stderr: `cfkctl: cfkd's reply to "command status all": malformed status line: want 8 tab-separated fields, got 2` + "\n"},
	} {
		t.Run(tc.name, tc.check)
	}
}

func TestServiceVerbs(t *testing.T) {
	for _, verb := range []string{"up", "down", "start", "stop", "restart", "destroy"} {
		t.Run(verb, func(t *testing.T) {
			cmdCase{args: []string{verb, "svc1", "@web", "all"},
				replies: map[string]string{"command " + verb + " all": ok("done 3")},
				reqs:    []string{"command " + verb + " all"}}.check(t)
			cmdCase{args: []string{verb, "svc1", "@web", "svc1"},
				replies: map[string]string{"command " + verb + " service svc1 tag web": ok("done 3")},
				reqs:    []string{"command " + verb + " service svc1 tag web"}}.check(t)
			cmdCase{args: []string{verb}, code: ExitUsage,
				stderr: "cfkctl: " + verb + " needs at least one service reference\nusage: cfkctl " + lookup(verb).usage() + "\nRun 'cfkctl help " + verb + "' for details.\n"}.check(t)
		})
	}
	for _, tc := range []cmdCase{
		{name: "one request, one error", args: []string{"start", "a", "@t", "b"},
			replies: map[string]string{"command start service a tag t service b": fail("Service 'a' is already up")},
			reqs:    []string{"command start service a tag t service b"}, code: 1, stderr: "Service 'a' is already up\n"},
		{name: "partial failure warns", args: []string{"start", "@web"},
			replies: map[string]string{"command start tag web": ok("done 1", "web1: Service 'web1' is already up", "web3: Service 'web3' has no known command")},
			reqs:    []string{"command start tag web"},
			stderr:  "warning: web1: Service 'web1' is already up\nwarning: web3: Service 'web3' has no known command\n"},
		{name: "json lines", args: []string{"stop", "a", "b", "--json"},
			replies: map[string]string{"command stop service a service b": ok("done 1", "b: Service 'b' is already down")},
			reqs:    []string{"command stop service a service b"},
			stdout:  `{"ok":true,"lines":["done 1","b: Service 'b' is already down"]}` + "\n"},
		{name: "json error", args: []string{"--json", "stop", "nope"},
			replies: map[string]string{"command stop service nope": fail(notFound)},
			reqs:    []string{"command stop service nope"}, code: 1,
			stdout: `{"ok":false,"error":"Couldn't find a valid service. bailing."}` + "\n", stderr: notFound + "\n"},
		{name: "bad reference", args: []string{"start", "a b"}, code: ExitUsage,
			stderr: "cfkctl: invalid service reference 'a b' (a name is a letter or _, then letters, digits, _ or -)\nusage: cfkctl start REF...\nRun 'cfkctl help start' for details.\n"},
		{name: "bad tag", args: []string{"stop", "@"}, code: ExitUsage,
			stderr: "cfkctl: invalid tag reference '@' (a tag is letters, digits, _, . or -)\nusage: cfkctl stop REF...\nRun 'cfkctl help stop' for details.\n"},
	} {
		t.Run(tc.name, tc.check)
	}
}

// The references of a service verb go in one request, `command VERB SEL
// SEL...`, whose services cfkd plans together (REFERENCE §1.4, §2.8):
// sent one request per reference, `stop db app` (app requires db)
// stopped app with db, then failed `Service 'app' is already down`, exit
// 1, while `stop app db` exited 0. Both orders now send one request, and
// its reply alone decides the exit status.
func TestServiceVerbsOneRequest(t *testing.T) {
	for _, verb := range []string{"start", "stop", "up", "down", "restart", "destroy", "signal HUP"} {
		args := strings.Fields(verb)
		for _, refs := range [][]string{{"db", "app"}, {"app", "db"}, {"@r", "r1", "@r"}} {
			line := "command " + verb + " " + map[string]string{"db": "service db service app", "app": "service app service db",
				"@r": "tag r service r1"}[refs[0]]
			cmdCase{name: verb + " " + strings.Join(refs, " "), args: append(append([]string{}, args...), refs...),
				replies: map[string]string{line: ok("done 2")}, reqs: []string{line}}.check(t)
		}
	}
	for _, tc := range []cmdCase{
		{name: "a service down before, among others", args: []string{"stop", "db", "app"},
			replies: map[string]string{"command stop service db service app": ok("done 1", "app: Service 'app' is already down")},
			reqs:    []string{"command stop service db service app"}, stderr: "warning: app: Service 'app' is already down\n"},
		{name: "rolling", args: []string{"restart", "--rolling", "b", "a"},
			replies: map[string]string{"command rollingrestart service b service a": ok("done 2")},
			reqs:    []string{"command rollingrestart service b service a"}},
		{name: "rolling that stopped", args: []string{"restart", "--rolling", "b", "a"},
			replies: map[string]string{"command rollingrestart service b service a": ok("done 1",
				"a: Service 'a' did not come back up: fatal (Not ready after 1s)", "b: not restarted: the rolling restart stopped at a")},
			reqs: []string{"command rollingrestart service b service a"}, code: 1,
			stderr: "warning: a: Service 'a' did not come back up: fatal (Not ready after 1s)\nwarning: b: not restarted: the rolling restart stopped at a\n" +
				"cfkctl: the rolling restart stopped before the end (see the lines above)\n"},
		{name: "a reference that selects nothing", args: []string{"stop", "a", "nope"},
			replies: map[string]string{"command stop service a service nope": fail(notFound)},
			reqs:    []string{"command stop service a service nope"}, code: 1, stderr: notFound + "\n"},
	} {
		t.Run(tc.name, tc.check)
	}
}

// With a cfkd that takes one selector a request (an older one, or the
// original: `service selector takes exactly 1 argument: name` to the
// request of several), cfkctl sends one per reference, each service once
// (REFERENCE §8.2): `start @r r1` started r1 with the tag, then sent
// `start service r1`, `already up`, exit 1, while `start r1 @r` warned
// and exited 0; `stop` the same with `already down`; a restart or a
// signal went twice. Both orders send the tag alone; a tag that an
// earlier one overlaps sends the services it adds, by name.
func TestServiceVerbsEachServiceOnce(t *testing.T) {
	oneSel := fail("service selector takes exactly 1 argument: name")
	tagR := map[string]string{"command status tag r": ok("r1\trunning\t", "r2\tstopped\t")}
	with := func(m map[string]string, more ...string) map[string]string {
		out := map[string]string{}
		for k, v := range m {
			out[k] = v
		}
		for i := 0; i+1 < len(more); i += 2 {
			out[more[i]] = more[i+1]
		}
		return out
	}
	for _, verb := range []string{"start", "stop", "restart", "destroy", "signal HUP"} {
		args := strings.Fields(verb)
		for _, refs := range [][]string{{"@r", "r1"}, {"r1", "@r"}} {
			several := "command " + verb + " tag r service r1"
			if refs[0] == "r1" {
				several = "command " + verb + " service r1 tag r"
			}
			cmdCase{name: verb + " " + strings.Join(refs, " "), args: append(append([]string{}, args...), refs...),
				replies: with(tagR, "command "+verb+" tag r", ok("done 2"),
					"command "+verb+" service r1", fail("Service 'r1' is already up"), several, fail("tag selector takes exactly 1 argument: tag")),
				reqs: []string{several, "command status tag r", "command " + verb + " tag r"}}.check(t)
		}
	}
	for _, tc := range []cmdCase{
		{name: "overlapping tags", args: []string{"restart", "@a", "@b", "c"},
			replies: map[string]string{"command restart tag a tag b service c": fail("tag selector takes exactly 1 argument: tag"),
				"command status tag a":  ok("x\trunning\t", "y\trunning\t"),
				"command status tag b":  ok("y\trunning\t", "z\trunning\t", "w\trunning\t"),
				"command restart tag a": ok("done 2"), "command restart service z": ok("done 1"),
				"command restart service w": ok("done 1"), "command restart service c": ok("done 1"),
			},
			reqs: []string{"command restart tag a tag b service c", "command status tag a", "command status tag b", "command restart tag a",
				"command restart service z", "command restart service w", "command restart service c"}},
		{name: "a tag inside another", args: []string{"stop", "@a", "@b"},
			replies: map[string]string{"command stop tag a tag b": fail("tag selector takes exactly 1 argument: tag"),
				"command status tag a": ok("x\trunning\t", "y\trunning\t"),
				"command status tag b": ok("y\trunning\t"),
				"command stop tag a":   ok("done 2"),
			},
			reqs: []string{"command stop tag a tag b", "command status tag a", "command status tag b", "command stop tag a"}},
		{name: "an empty tag is cfkd's to refuse", args: []string{"start", "@none", "a"},
			replies: map[string]string{"command start tag none service a": fail("tag selector takes exactly 1 argument: tag"),
				"command status tag none": ok(), "command start tag none": fail(notFound)},
			reqs: []string{"command start tag none service a", "command status tag none", "command start tag none"}, code: 1, stderr: notFound + "\n"},
		{name: "names alone ask nothing more", args: []string{"stop", "a", "b"},
			replies: map[string]string{"command stop service a service b": oneSel,
				"command stop service a": ok("done 1"), "command stop service b": ok("done 1")},
			reqs: []string{"command stop service a service b", "command stop service a", "command stop service b"}},
		{name: "another error is the answer", args: []string{"stop", "a", "b"},
			replies: map[string]string{"command stop service a service b": fail("cfkd is shutting down"),
				"command stop service a": ok("done 1"), "command stop service b": ok("done 1")},
			reqs: []string{"command stop service a service b"}, code: 1, stderr: "cfkd is shutting down\n"},
	} {
		t.Run(tc.name, tc.check)
	}
}

func TestPidCommands(t *testing.T) {
	replies := map[string]string{
		"command status service svc1": ok("svc1\trunning\t4242\t" + twoAgo + "\t\t\t\tsleep 100"),
		"command status service svc2": ok("svc2\tstopped\t\t\t" + twoAgo + "\t\t\t"),
		"command status service nope": fail(notFound),
		"command pids all":            ok("svc1: 4242", "svc2: ", "px: 100, 4243"),
		"command pids service svc1":   ok("svc1: 4242"),
		"command pids tag web":        ok("svc1: 4242", "px: 100, 4243"),
		"command pids tag none":       ok(),
		"command pids service nope":   fail(notFound),
	}
	for _, tc := range []cmdCase{
		{name: "pid", args: []string{"pid", "svc1"}, replies: replies,
			reqs: []string{"command status service svc1"}, stdout: "4242\n"},
		{name: "pid not running", args: []string{"pid", "svc2"}, replies: replies,
			reqs: []string{"command status service svc2"}, code: 1, stderr: "svc2 is not running\n"},
		{name: "pid unknown", args: []string{"pid", "nope"}, replies: replies,
			reqs: []string{"command status service nope"}, code: 1, stderr: notFound + "\n"},
		{name: "pid json", args: []string{"pid", "svc1", "--json"}, replies: replies,
			reqs: []string{"command status service svc1"}, stdout: `{"ok":true,"lines":["4242"]}` + "\n"},
		{name: "pid json not running", args: []string{"pid", "svc2", "--json"}, replies: replies,
			reqs: []string{"command status service svc2"}, code: 1,
			stdout: `{"ok":false,"error":"svc2 is not running"}` + "\n", stderr: "svc2 is not running\n"},
		{name: "pid needs a name", args: []string{"pid"}, code: ExitUsage,
			stderr: "cfkctl: pid takes exactly one argument: NAME\nusage: cfkctl pid NAME\nRun 'cfkctl help pid' for details.\n"},
		{name: "pid one word", args: []string{"pid", "a b"}, code: ExitUsage,
			stderr: "cfkctl: invalid service name 'a b' (a name is a letter or _, then letters, digits, _ or -)\nusage: cfkctl pid NAME\nRun 'cfkctl help pid' for details.\n"},
		{name: "pids", args: []string{"pids"}, replies: replies,
			reqs: []string{"command pids all"}, stdout: "svc1: 4242\nsvc2: \npx: 100, 4243\n"},
		{name: "pids each once", args: []string{"pids", "svc1", "@web"}, replies: replies,
			reqs: []string{"command pids service svc1", "command pids tag web"}, stdout: "svc1: 4242\npx: 100, 4243\n"},
		{name: "pids json", args: []string{"--json", "pids"}, replies: replies,
			reqs: []string{"command pids all"}, stdout: `{"px":4243,"svc1":4242,"svc2":null}` + "\n"},
		{name: "pids of an empty tag", args: []string{"pids", "@none"}, replies: replies,
			reqs: []string{"command pids tag none"}},
		{name: "pids error", args: []string{"pids", "svc1", "nope"}, replies: replies,
			reqs: []string{"command pids service svc1", "command pids service nope"}, code: 1, stderr: notFound + "\n"},
	} {
		t.Run(tc.name, tc.check)
	}
}

func TestDescAndList(t *testing.T) {
	svc1 := `{"name":"svc1","state":"running","pid":4242,"retries":0,"crashes":0,"tags":["web","prod"],` +
		`"desc":"a \"sleeper\"","cmd":"sleep 100","requires":["db","cache"]}`
	svc2 := `{"name":"svc2","state":"stopped","proxy":"p1","proxy_up":false,"retries":0,"crashes":0,"tags":[],` +
		`"cmd":"[\"perl\",\"x.pl\"]"}`
	replies := map[string]string{
		"command inspect all":          ok(svc1, svc2),
		"command inspect service svc1": ok(svc1),
		"command inspect tag web":      ok(svc1),
		"command list":                 ok("svc1", "svc2"),
	}
	// a cfkd without inspect (the original): the desc lines, without requires
	old := map[string]string{
		"command inspect all":          fail("unknown command 'inspect'"),
		"command desc all":             ok("svc1\tweb, prod\ta \"sleeper\"\t\tsleep 100", "svc2\t\t\tp1\t[\"perl\",\"x.pl\"]"),
		"command inspect service svc1": fail("unknown command 'inspect'"),
		"command desc service svc1":    ok("svc1\tweb, prod\ta \"sleeper\"\t\tsleep 100"),
		"command desc tag web":         ok("svc1\tweb, prod\ta \"sleeper\"\t\tsleep 100"),
	}
	empty := map[string]string{"command list": ok(), "command inspect all": ok(), "command pids all": ok()}
	// bytes that are not UTF-8: inspect (JSON) has U+FFFD for them, the
	// desc line has them as they are
	latin1 := map[string]string{
		"command inspect service lat": ok(`{"name":"lat","state":"stopped","retries":0,"crashes":0,"tags":["fr"],` +
			`"desc":"donn\ufffdes","cmd":"/opt/caf\ufffd/run","requires":["db"],"restarts":2}`),
		"command desc service lat": ok("lat\tfr\tdonn\xe9es\t\t/opt/caf\xe9/run"),
	}
	for _, tc := range []cmdCase{
		{name: "desc keeps the bytes that are not UTF-8", args: []string{"desc", "lat"}, replies: latin1,
			reqs:   []string{"command inspect service lat", "command desc service lat"},
			stdout: "lat: tags=\"fr\" desc=\"donn\xe9es\" cmd=\"/opt/caf\xe9/run\" requires=\"db\" restarts=2\n"},
		{name: "desc", args: []string{"desc"}, replies: replies, reqs: []string{"command inspect all"},
			stdout: `svc1: tags="web, prod" desc="a \"sleeper\"" cmd="sleep 100" requires="db, cache"` + "\n" +
				`svc2: proxy="p1" cmd="[\"perl\",\"x.pl\"]"` + "\n"},
		{name: "desc refs", args: []string{"desc", "svc1", "@web"}, replies: replies,
			reqs:   []string{"command inspect service svc1", "command inspect tag web"},
			stdout: `svc1: tags="web, prod" desc="a \"sleeper\"" cmd="sleep 100" requires="db, cache"` + "\n"},
		{name: "desc json", args: []string{"desc", "--json"}, replies: replies, reqs: []string{"command inspect all"},
			stdout: `[{"name":"svc1","tags":["web","prod"],"desc":"a \"sleeper\"","proxy":null,"cmd":"sleep 100","requires":["db","cache"],` +
				`"restarts":0,"last_exit":null,"last_exit_time":null},` +
				`{"name":"svc2","tags":[],"desc":null,"proxy":"p1","cmd":"[\"perl\",\"x.pl\"]","requires":[],` +
				`"restarts":0,"last_exit":null,"last_exit_time":null}]` + "\n"},
		{name: "desc from a cfkd without inspect", args: []string{"desc"}, replies: old,
			reqs:   []string{"command inspect all", "command desc all"},
			stdout: `svc1: tags="web, prod" desc="a \"sleeper\"" cmd="sleep 100"` + "\n" + `svc2: proxy="p1" cmd="[\"perl\",\"x.pl\"]"` + "\n"},
		{name: "desc refs from a cfkd without inspect", args: []string{"desc", "svc1", "@web"}, replies: old,
			reqs:   []string{"command inspect service svc1", "command desc service svc1", "command desc tag web"},
			stdout: `svc1: tags="web, prod" desc="a \"sleeper\"" cmd="sleep 100"` + "\n"},
		{name: "desc json from a cfkd without inspect", args: []string{"desc", "--json"}, replies: old,
			reqs: []string{"command inspect all", "command desc all"},
			stdout: `[{"name":"svc1","tags":["web","prod"],"desc":"a \"sleeper\"","proxy":null,"cmd":"sleep 100","requires":null,` +
				`"restarts":null,"last_exit":null,"last_exit_time":null},` +
				`{"name":"svc2","tags":[],"desc":null,"proxy":"p1","cmd":"[\"perl\",\"x.pl\"]","requires":null,` +
				`"restarts":null,"last_exit":null,"last_exit_time":null}]` + "\n"},
		{name: "list", args: []string{"list"}, replies: replies, reqs: []string{"command list"}, stdout: "svc1\nsvc2\n"},
		{name: "list json", args: []string{"list", "--json"}, replies: replies, reqs: []string{"command list"}, stdout: `["svc1","svc2"]` + "\n"},
		{name: "empty list json", args: []string{"list", "--json"}, replies: empty, reqs: []string{"command list"}, stdout: "[]\n"},
		{name: "empty desc json", args: []string{"desc", "--json"}, replies: empty, reqs: []string{"command inspect all"}, stdout: "[]\n"},
		{name: "empty status json", args: []string{"status", "--json"}, replies: empty, reqs: []string{"command inspect all"}, stdout: "[]\n"},
		{name: "empty pids json", args: []string{"pids", "--json"}, replies: empty, reqs: []string{"command pids all"}, stdout: "{}\n"},
		{name: "list takes nothing", args: []string{"list", "all"}, code: ExitUsage,
			stderr: "cfkctl: list takes no argument\nusage: cfkctl list\nRun 'cfkctl help list' for details.\n"},
	} {
		t.Run(tc.name, tc.check)
	}
}

func TestStatusJSON(t *testing.T) {
	status := ok(
		"svc1\trunning\t4242\t"+twoAgo+"\t\t\t\tsleep 100",
		"web1\tbackoff\t\t"+hourAgo+"\t"+twoAgo+"\tp1!\t\t",
	)
	inspect := ok(
		`{"name":"svc1","state":"running","pid":4242,"start_time":"2009-11-11T16:16:09Z","running_cmd":"sleep 100",`+
			`"retries":0,"crashes":1,"tags":["web"],"cmd":"sleep 100","running_former":true,"waiting_for":["db"]}`,
		`{"name":"web1","state":"backoff","start_time":"2009-11-11T15:16:11Z","stop_time":"2009-11-11T16:16:09Z",`+
			`"proxy":"p1","proxy_up":false,"retries":2,"crashes":0,"next_start":"2009-11-11T16:16:11.5Z","tags":[]}`,
	)
	svc1 := `{"name":"svc1","state":"running","pid":4242,"start_time":` + twoAgo + `,"stop_time":null,"proxy":null,` +
		`"fail_reason":null,"running_cmd":"sleep 100",`
	web1 := `{"name":"web1","state":"backoff","pid":null,"start_time":` + hourAgo + `,"stop_time":` + twoAgo +
		`,"proxy":"p1!","fail_reason":null,"running_cmd":null,`
	for _, tc := range []cmdCase{
		{name: "from inspect", args: []string{"--json", "status"},
			replies: map[string]string{"command inspect all": inspect},
			reqs:    []string{"command inspect all"},
			stdout: "[" + svc1 + `"retries":0,"crashes":1,"next_start":null,"restarts":0,"last_exit":null,"last_exit_time":null,"notify_status":null,"last_error":null,"running_former":true,"done":false,"waiting_for":["db"]},` +
				web1 + `"retries":2,"crashes":0,"next_start":"2009-11-11T16:16:11.5Z","restarts":0,"last_exit":null,"last_exit_time":null,"notify_status":null,"last_error":null,"running_former":false,"done":false,"waiting_for":null}]` + "\n"},
		{name: "from status when cfkd has no inspect", args: []string{"--json", "status", "svc1", "@web"},
			replies: map[string]string{"command inspect service svc1": fail("unknown command 'inspect'"),
				"command status service svc1": status, "command status tag web": status},
			reqs: []string{"command inspect service svc1", "command status service svc1", "command status tag web"},
			stdout: "[" + svc1 + `"retries":null,"crashes":null,"next_start":null,"restarts":null,"last_exit":null,"last_exit_time":null,"notify_status":null,"last_error":null,"running_former":null,"done":null,"waiting_for":null},` +
				web1 + `"retries":null,"crashes":null,"next_start":null,"restarts":null,"last_exit":null,"last_exit_time":null,"notify_status":null,"last_error":null,"running_former":null,"done":null,"waiting_for":null}]` + "\n"},
		{name: "each service once", args: []string{"--json", "status", "@web", "svc1"},
			replies: map[string]string{"command inspect tag web": inspect, "command inspect service svc1": inspect},
			reqs:    []string{"command inspect tag web", "command inspect service svc1"},
			stdout: "[" + svc1 + `"retries":0,"crashes":1,"next_start":null,"restarts":0,"last_exit":null,"last_exit_time":null,"notify_status":null,"last_error":null,"running_former":true,"done":false,"waiting_for":["db"]},` +
				web1 + `"retries":2,"crashes":0,"next_start":"2009-11-11T16:16:11.5Z","restarts":0,"last_exit":null,"last_exit_time":null,"notify_status":null,"last_error":null,"running_former":false,"done":false,"waiting_for":null}]` + "\n"},
		{name: "another error is no fallback", args: []string{"--json", "status", "nope"},
			replies: map[string]string{"command inspect service nope": fail(notFound)},
			reqs:    []string{"command inspect service nope"}, code: 1,
			stdout: `{"ok":false,"error":"` + notFound + `"}` + "\n", stderr: notFound + "\n"},
		{name: "a malformed line", args: []string{"--json", "status"},
			replies: map[string]string{"command inspect all": ok(`{"name":"svc1","state":"sleeping"}`)},
			reqs:    []string{"command inspect all"}, code: 1,
			stdout: `{"ok":false,"error":"cfkd's reply to \"command inspect all\": malformed inspect line: unknown state \"sleeping\""}` + "\n",
			stderr: `cfkctl: cfkd's reply to "command inspect all": malformed inspect line: unknown state "sleeping"` + "\n"},
	} {
		t.Run(tc.name, tc.check)
	}
}

func TestInspectCommand(t *testing.T) {
	w1 := `{"name":"w1","state":"running","pid":7,"retries":0,"crashes":0,"tags":["web"],"cmd":"a && b"}`
	w2 := `{"name":"w2","state":"stopped","retries":0,"crashes":0,"tags":["web"],"later":{"x":1}}`
	replies := map[string]string{
		"command inspect all":          ok(w1, w2),
		"command inspect tag web":      ok(w1, w2),
		"command inspect service w1":   ok(w1),
		"command inspect service nope": fail(notFound),
		"command inspect service bad":  ok(`{"name":"bad"`),
	}
	for _, tc := range []cmdCase{
		{name: "all", args: []string{"inspect"}, replies: replies, reqs: []string{"command inspect all"},
			stdout: w1 + "\n" + w2 + "\n"},
		{name: "each once", args: []string{"inspect", "w1", "@web"}, replies: replies,
			reqs: []string{"command inspect service w1", "command inspect tag web"}, stdout: w1 + "\n" + w2 + "\n"},
		{name: "json", args: []string{"--json", "inspect", "@web"}, replies: replies, reqs: []string{"command inspect tag web"},
			stdout: "[" + w1 + "," + w2 + "]\n"},
		{name: "unknown", args: []string{"inspect", "nope"}, replies: replies, reqs: []string{"command inspect service nope"},
			code: 1, stderr: notFound + "\n"},
		{name: "malformed", args: []string{"inspect", "bad"}, replies: replies, reqs: []string{"command inspect service bad"},
			code: 1, stderr: `cfkctl: cfkd's reply to "command inspect service bad": malformed inspect line: unexpected end of JSON input` + "\n"},
		{name: "a cfkd without inspect", args: []string{"inspect"},
			replies: map[string]string{"command inspect all": fail("unknown command 'inspect'")},
			reqs:    []string{"command inspect all"}, code: 1, stderr: "unknown command 'inspect'\n"},
	} {
		t.Run(tc.name, tc.check)
	}
}

func TestOtherCommands(t *testing.T) {
	replies := map[string]string{
		"command version":        ok("cfk 1.0"),
		"command proxystatus":    ok("p1\tup\t100", "p2\tdown\t"),
		"command proxyup p1":     ok(),
		"command proxydown p1":   ok(),
		"command proxyup nope":   fail("Couldn't find a valid proxy. bailing."),
		"command bind web":       ok(),
		"command bind nope":      fail("unknown socket 'nope'"),
		"command shutdown":       ok("done 2"),
		"command proxystatus x":  fail("never sent"),
		"command version --json": fail("never sent"),
	}
	for _, tc := range []cmdCase{
		{name: "version", args: []string{"version"}, replies: replies, reqs: []string{"command version"}, stdout: "cfk 1.0\n"},
		{name: "version json", args: []string{"version", "--json"}, replies: replies, reqs: []string{"command version"},
			stdout: `{"ok":true,"lines":["cfk 1.0"]}` + "\n"},
		{name: "proxystatus", args: []string{"proxystatus"}, replies: replies, reqs: []string{"command proxystatus"},
			stdout: "up     p1                   100\ndown   p2\n"},
		{name: "proxystatus colours", args: []string{"proxystatus"}, replies: replies, cfg: runCfg{terminal: true},
			reqs: []string{"command proxystatus"}, stdout: "\x1b[1;32mup\x1b[0m     p1                   100\n\x1b[1;31mdown\x1b[0m   p2\n"},
		{name: "proxystatus json", args: []string{"proxystatus", "--json"}, replies: replies, reqs: []string{"command proxystatus"},
			stdout: `{"ok":true,"lines":["p1\tup\t100","p2\tdown\t"]}` + "\n"},
		{name: "proxyup", args: []string{"proxyup", "p1"}, replies: replies, reqs: []string{"command proxyup p1"}},
		{name: "proxydown", args: []string{"proxydown", "p1"}, replies: replies, reqs: []string{"command proxydown p1"}},
		{name: "proxyup unknown", args: []string{"proxyup", "nope"}, replies: replies, reqs: []string{"command proxyup nope"},
			code: 1, stderr: "Couldn't find a valid proxy. bailing.\n"},
		{name: "proxyup json", args: []string{"--json", "proxyup", "p1"}, replies: replies, reqs: []string{"command proxyup p1"},
			stdout: `{"ok":true,"lines":[]}` + "\n"},
		{name: "bind", args: []string{"bind", "web"}, replies: replies, reqs: []string{"command bind web"}},
		{name: "bind unknown", args: []string{"bind", "nope"}, replies: replies, reqs: []string{"command bind nope"},
			code: 1, stderr: "unknown socket 'nope'\n"},
		{name: "bind one word", args: []string{"bind", "a\tb"}, code: ExitUsage,
			stderr: "cfkctl: invalid socket name 'a\tb' (a name is a letter or _, then letters, digits, _ or -)\nusage: cfkctl bind SOCKNAME\nRun 'cfkctl help bind' for details.\n"},
		{name: "shutdown", args: []string{"shutdown"}, replies: replies, reqs: []string{"command shutdown"}},
		{name: "shutdown json", args: []string{"shutdown", "--json"}, replies: replies, reqs: []string{"command shutdown"},
			stdout: `{"ok":true,"lines":["done 2"]}` + "\n"},
		{name: "proxystatus takes nothing", args: []string{"proxystatus", "x"}, code: ExitUsage,
			stderr: "cfkctl: proxystatus takes no argument\nusage: cfkctl proxystatus\nRun 'cfkctl help proxystatus' for details.\n"},
	} {
		t.Run(tc.name, tc.check)
	}
}

func TestShutdownWhenCfkdCloses(t *testing.T) {
	f := newFakeServer(t, map[string]string{})
	f.close["command shutdown"] = true
	r := runCtl(t, f, runCfg{}, "shutdown")
	if r.code != 0 || r.stdout != "" || r.stderr != "" {
		t.Fatalf("got %+v", r)
	}
	if got := f.waitRequests(t, 1); !reflect.DeepEqual(got, []string{"command shutdown"}) {
		t.Fatalf("requests %q", got)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		stderr string
	}{
		{nil, "cfkctl: missing command\nRun 'cfkctl --help' for usage.\n"},
		{[]string{"--json"}, "cfkctl: missing command\nRun 'cfkctl --help' for usage.\n"},
		{[]string{"bogus"}, "cfkctl: unknown command 'bogus'\nRun 'cfkctl --help' for usage.\n"},
		{[]string{"status", "--bogus"}, "cfkctl: unknown flag '--bogus'\nRun 'cfkctl --help' for usage.\n"},
		{[]string{"-a"}, "cfkctl: -a needs a value\nRun 'cfkctl --help' for usage.\n"},
		{[]string{"fleet"}, "cfkctl: fleet needs a subcommand: hosts, status, start, stop, up, down, restart, signal, events, certs or addcert\nusage: cfkctl fleet [--hosts NAME,@TAG,...] SUBCOMMAND [ARGS...]\nRun 'cfkctl help fleet' for details.\n"},
		{[]string{"signal"}, "cfkctl: signal needs a signal (TERM, HUP, ...), then at least one service reference\nusage: cfkctl signal SIG REF...\nRun 'cfkctl help signal' for details.\n"},
		{[]string{"signal", "HUP"}, "cfkctl: signal needs at least one service reference\nusage: cfkctl signal SIG REF...\nRun 'cfkctl help signal' for details.\n"},
		{[]string{"list", "--address"}, "cfkctl: --address needs a value\nRun 'cfkctl --help' for usage.\n"},
		// --binary is upgrade's: elsewhere it was ignored, as --rolling,
		// --hosts or -f are not
		{[]string{"restart", "--binary", "/opt/cfkd", "web1"}, "cfkctl: --binary only applies to upgrade\nusage: cfkctl restart [--rolling] REF...\nRun 'cfkctl help restart' for details.\n"},
		{[]string{"-bogus", "list"}, "cfkctl: unknown flag '-bogus'\nRun 'cfkctl --help' for usage.\n"},
		// an unknown flag is named as it was typed (-n5 was '--n5'), with
		// what was likely meant (REFERENCE §8.1)
		{[]string{"tail", "-n5", "web1"}, "cfkctl: unknown flag '-n5' (did you mean '-n 5'?)\nRun 'cfkctl --help' for usage.\n"},
		{[]string{"tail", "-fn", "5", "web1"}, "cfkctl: unknown flag '-fn' (did you mean '-f -n'?)\nRun 'cfkctl --help' for usage.\n"},
		{[]string{"status", "--jsn"}, "cfkctl: unknown flag '--jsn' (did you mean '--json'?)\nRun 'cfkctl --help' for usage.\n"},
		{[]string{"status", "-jason"}, "cfkctl: unknown flag '-jason' (did you mean '--json'?)\nRun 'cfkctl --help' for usage.\n"},
		{[]string{"restart", "--rollin", "web1"}, "cfkctl: unknown flag '--rollin' (did you mean '--rolling'?)\nRun 'cfkctl --help' for usage.\n"},
		{[]string{"list", "--timeot=3"}, "cfkctl: unknown flag '--timeot' (did you mean '--timeout'?)\nRun 'cfkctl --help' for usage.\n"},
		{[]string{"list", "-x"}, "cfkctl: unknown flag '-x'\nRun 'cfkctl --help' for usage.\n"},
		{[]string{"tail", "-n", "abc", "web1"}, "cfkctl: invalid value \"abc\" for -n: want a number of lines from 0 to 100000\nRun 'cfkctl --help' for usage.\n"},
		{[]string{"tail", "--lines=1.5", "web1"}, "cfkctl: invalid value \"1.5\" for --lines: want a number of lines from 0 to 100000\nRun 'cfkctl --help' for usage.\n"},
		{[]string{"--json=maybe", "list"}, "cfkctl: invalid value \"maybe\" for --json: want true or false (or no value)\nRun 'cfkctl --help' for usage.\n"},
		{[]string{"help", "bogus"}, "cfkctl: unknown command 'bogus'\nusage: cfkctl help [COMMAND]\nRun 'cfkctl help help' for details.\n"},
		{[]string{"help", "a", "b"}, "cfkctl: help takes at most 1 argument\nusage: cfkctl help [COMMAND]\nRun 'cfkctl help help' for details.\n"},
		{[]string{"load"}, "cfkctl: load takes exactly one argument: FILE|-\nusage: cfkctl load FILE|-\nRun 'cfkctl help load' for details.\n"},
		{[]string{"load", "a", "b"}, "cfkctl: load takes exactly one argument: FILE|-\nusage: cfkctl load FILE|-\nRun 'cfkctl help load' for details.\n"},
		{[]string{"status", "a\nb"}, "cfkctl: invalid service reference 'a\nb' (a name is a letter or _, then letters, digits, _ or -)\nusage: cfkctl status [REF...]\nRun 'cfkctl help status' for details.\n"},
		{[]string{"-a", "host:", "list"}, "cfkctl: invalid address 'host:': no port\nRun 'cfkctl --help' for usage.\n"},
		{[]string{"--timeout", "x", "list"}, "cfkctl: invalid value \"x\" for --timeout: want a duration like 10s or 1m, or seconds\nRun 'cfkctl --help' for usage.\n"},
	} {
		cmdCase{args: tc.args, code: ExitUsage, stderr: tc.stderr}.check(t)
	}
}
