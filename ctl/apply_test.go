package ctl

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/cfk/cfk/messages"
)

// applyReq is the request cfkctl sends for text.
func applyReq(opts, text string) string {
	if opts != "" {
		opts += " "
	}
	return "command apply " + opts + messages.EncodeApplyData(text)
}

func TestApply(t *testing.T) {
	conf := "# services\nservice a cmd=${BASE}/bin/a   # trailing\n\n\tservice b cmd=sleep 1\r\ncommand start all\n"
	file := writeFile(t, conf)
	dir := filepath.Dir(file)
	sent := "\nservice a cmd=" + dir + "/bin/a   # trailing\n\n\tservice b cmd=sleep 1\ncommand start all\n"
	plan := ok("~ a: cmd, add_env", "+ b", "- old", "- socket s", "~ socket web: service")
	usage := "usage: cfkctl apply [--dry-run] [--prune] [--rolling] FILE|-\nRun 'cfkctl help apply' for details.\n"
	for _, tc := range []cmdCase{
		{name: "plan, notes", args: []string{"apply", file}, replies: map[string]string{applyReq("", sent): plan},
			reqs:   []string{applyReq("", sent)},
			stdout: "~ a: cmd, add_env\n+ b\n- old\n- socket s\n~ socket web: service\n",
			stderr: "note: the services marked - are kept (--prune destroys them)\n" +
				"note: the sockets and proxies marked - are kept (cfkd cannot forget them)\n" +
				"note: a socket marked ~ that is bound keeps its address until it is bound again (cfkctl unbind web, then bind)\n"},
		{name: "a proxy's change, one running a former declaration", args: []string{"apply", file},
			replies: map[string]string{applyReq("", sent): ok("~ proxy p: cmd", "~ proxy q: (running a former declaration)")},
			reqs:    []string{applyReq("", sent)}, stdout: "~ proxy p: cmd\n~ proxy q: (running a former declaration)\n",
			stderr: "note: a proxy marked ~ that runs keeps its former declaration until it runs again (cfkctl proxydown NAME stops it and its services, for each of p q)\n"},
		{name: "a proxy's change", args: []string{"apply", file},
			replies: map[string]string{applyReq("", sent): ok("~ proxy p: cmd")},
			reqs:    []string{applyReq("", sent)}, stdout: "~ proxy p: cmd\n",
			stderr: "note: a proxy marked ~ that runs keeps its former declaration until it runs again (cfkctl proxydown p stops it and its services)\n"},
		// bind, unbind and proxydown take one name: `cfkctl unbind a b` is a usage error
		{name: "sockets' changes", args: []string{"apply", file},
			replies: map[string]string{applyReq("", sent): ok("~ socket a: service", "~ socket b: host")},
			reqs:    []string{applyReq("", sent)}, stdout: "~ socket a: service\n~ socket b: host\n",
			stderr: "note: a socket marked ~ that is bound keeps its address until it is bound again (cfkctl unbind NAME, then bind NAME, for each of a b)\n"},
		{name: "options in order", args: []string{"--rolling", "apply", "--prune", file, "--dry-run"},
			replies: map[string]string{applyReq("dry-run prune rolling", sent): ok("- old")},
			reqs:    []string{applyReq("dry-run prune rolling", sent)}, stdout: "- old\n"},
		// each flag twice: each word once, cfkd refusing a word given
		// twice (REFERENCE §1.4, TestApplyWordsParse)
		{name: "flags twice, words once", args: []string{"--rolling", "--rolling", "apply", "--prune", "--dry-run", file, "--prune", "--dry-run"},
			replies: map[string]string{applyReq("dry-run prune rolling", sent): ok("- old")},
			reqs:    []string{applyReq("dry-run prune rolling", sent)}, stdout: "- old\n"},
		{name: "no changes", args: []string{"apply", file}, replies: map[string]string{applyReq("", sent): ok("no changes")},
			reqs: []string{applyReq("", sent)}, stdout: "no changes\n"},
		{name: "basedir", args: []string{"apply", file, "--basedir", "/srv"},
			replies: map[string]string{applyReq("", strings.ReplaceAll(sent, dir, "/srv")): ok("no changes")},
			reqs:    []string{applyReq("", strings.ReplaceAll(sent, dir, "/srv"))}, stdout: "no changes\n"},
		{name: "stdin: the current directory", args: []string{"apply", "-"}, cfg: runCfg{stdin: conf, wd: "/w"},
			replies: map[string]string{applyReq("", strings.ReplaceAll(sent, dir, "/w")): ok("no changes")},
			reqs:    []string{applyReq("", strings.ReplaceAll(sent, dir, "/w"))}, stdout: "no changes\n"},
		{name: "relative file", args: []string{"apply", "conf/x.conf"}, cfg: runCfg{stdin: conf, wd: "/nowhere"},
			code: ExitError, stderr: "cfkctl: apply: open conf/x.conf: no such file or directory\n"},
		{name: "failures", args: []string{"apply", file, "--rolling"},
			replies: map[string]string{applyReq("rolling", sent): ok("~ a: cmd", "~ b: cmd",
				"a: Service 'a' did not come back up: fail (Exited with error 1)", "b: not restarted: the rolling restart stopped at a")},
			reqs: []string{applyReq("rolling", sent)}, code: ExitError, stdout: "~ a: cmd\n~ b: cmd\n",
			stderr: "a: Service 'a' did not come back up: fail (Exited with error 1)\nb: not restarted: the rolling restart stopped at a\n"},
		{name: "a line refused", args: []string{"apply", file},
			replies: map[string]string{applyReq("", sent): fail("line 2: invalid property 'x'")},
			reqs:    []string{applyReq("", sent)}, code: ExitError, stderr: file + ":2: invalid property 'x'\n"},
		{name: "refused whole", args: []string{"apply", file},
			replies: map[string]string{applyReq("", sent): fail("not authorized")},
			reqs:    []string{applyReq("", sent)}, code: ExitError, stderr: "not authorized\n"},
		{name: "json", args: []string{"apply", file, "--json"}, replies: map[string]string{applyReq("", sent): plan},
			reqs: []string{applyReq("", sent)},
			stdout: `{"ok":true,"dry_run":false,"changes":[{"op":"~","kind":"service","name":"a","attrs":["cmd","add_env"]},` +
				`{"op":"+","kind":"service","name":"b","attrs":[]},{"op":"-","kind":"service","name":"old","attrs":[]},` +
				`{"op":"-","kind":"socket","name":"s","attrs":[]},{"op":"~","kind":"socket","name":"web","attrs":["service"]}],"failures":[]}` + "\n",
			// the notes as without --json, on stderr (REFERENCE §8.3)
			stderr: "note: the services marked - are kept (--prune destroys them)\n" +
				"note: the sockets and proxies marked - are kept (cfkd cannot forget them)\n" +
				"note: a socket marked ~ that is bound keeps its address until it is bound again (cfkctl unbind web, then bind)\n"},
		{name: "json failures", args: []string{"apply", file, "--json", "--dry-run"},
			replies: map[string]string{applyReq("dry-run", sent): ok("no changes", "a: it failed")},
			reqs:    []string{applyReq("dry-run", sent)}, code: ExitError,
			stdout: `{"ok":false,"dry_run":true,"changes":[],"failures":["a: it failed"]}` + "\n"},
		{name: "runs of a former declaration", args: []string{"apply", file, "--json"},
			replies: map[string]string{applyReq("", sent): ok("~ a: (running a former declaration)", "~ b: desc (running a former declaration)",
				"a: Service 'a' cannot start: cwd /x: no such file or directory")},
			reqs: []string{applyReq("", sent)}, code: ExitError,
			stdout: `{"ok":false,"dry_run":false,"changes":[{"op":"~","kind":"service","name":"a","attrs":[],"running_former":true},` +
				`{"op":"~","kind":"service","name":"b","attrs":["desc"],"running_former":true}],` +
				`"failures":["a: Service 'a' cannot start: cwd /x: no such file or directory"]}` + "\n"},
		{name: "changes in place", args: []string{"apply", file, "--json"},
			replies: map[string]string{applyReq("", sent): ok("~ a: stopwait_secs (in place)", "~ b: cmd")},
			reqs:    []string{applyReq("", sent)},
			stdout: `{"ok":true,"dry_run":false,"changes":[{"op":"~","kind":"service","name":"a","attrs":["stopwait_secs"],"in_place":true},` +
				`{"op":"~","kind":"service","name":"b","attrs":["cmd"]}],"failures":[]}` + "\n"},
		{name: "a socket bound with a former declaration", args: []string{"apply", file, "--json"},
			replies: map[string]string{applyReq("", sent): ok("~ socket web: (bound with a former declaration)", "~ proxy q: (running a former declaration)")},
			reqs:    []string{applyReq("", sent)},
			stdout: `{"ok":true,"dry_run":false,"changes":[{"op":"~","kind":"socket","name":"web","attrs":[],"bound_former":true},` +
				`{"op":"~","kind":"proxy","name":"q","attrs":[],"running_former":true}],"failures":[]}` + "\n",
			stderr: "note: a socket marked ~ that is bound keeps its address until it is bound again (cfkctl unbind web, then bind)\n" +
				"note: a proxy marked ~ that runs keeps its former declaration until it runs again (cfkctl proxydown q stops it and its services)\n"},
		{name: "a socket bound with a former declaration, lines", args: []string{"apply", file},
			replies: map[string]string{applyReq("", sent): ok("~ socket web: (bound with a former declaration)")},
			reqs:    []string{applyReq("", sent)}, stdout: "~ socket web: (bound with a former declaration)\n",
			stderr: "note: a socket marked ~ that is bound keeps its address until it is bound again (cfkctl unbind web, then bind)\n"},
		{name: "runs of a former declaration, lines", args: []string{"apply", file},
			replies: map[string]string{applyReq("", sent): ok("~ a: (running a former declaration)", "a: Service 'a' cannot start: x")},
			reqs:    []string{applyReq("", sent)}, code: ExitError, stdout: "~ a: (running a former declaration)\n",
			stderr: "a: Service 'a' cannot start: x\n"},
		{name: "no file", args: []string{"apply"}, code: ExitUsage,
			stderr: "cfkctl: apply takes exactly one argument: FILE|-\n" + usage},
		{name: "--prune elsewhere", args: []string{"status", "--prune"}, code: ExitUsage,
			stderr: "cfkctl: --prune only applies to apply\nusage: cfkctl status [REF...]\nRun 'cfkctl help status' for details.\n"},
		{name: "--dry-run elsewhere", args: []string{"load", "-", "--dry-run"}, code: ExitUsage,
			stderr: "cfkctl: --dry-run only applies to apply\nusage: cfkctl load FILE|-\nRun 'cfkctl help load' for details.\n"},
	} {
		t.Run(tc.name, tc.check)
	}
}

// Every request cfkctl apply can send, whatever flags it is given, is one
// cfkd parses: its option words each once (REFERENCE §1.4, §8.2).
func TestApplyWordsParse(t *testing.T) {
	file := writeFile(t, "service a cmd=sleep 1\n")
	for _, flags := range [][]string{
		nil, {"--dry-run"}, {"--prune"}, {"--rolling"},
		{"--dry-run", "--dry-run"}, {"--prune", "--prune", "--prune"}, {"--rolling", "--rolling"},
		{"--rolling", "--prune", "--dry-run", "--rolling", "--prune", "--dry-run"},
	} {
		f := newFakeServer(t, nil)
		runCtl(t, f, runCfg{}, append([]string{"apply", file}, flags...)...)
		got := f.waitRequests(t, 1)[0]
		if _, err := messages.Parse(got); err != nil {
			t.Errorf("%v: sent %.60q, which cfkd refuses: %v", flags, got, err)
		}
	}
}

func TestApplyTooLarge(t *testing.T) {
	// incompressible: a new random-looking command per line
	var b strings.Builder
	x := uint64(1)
	for b.Len() < 200<<10 {
		x = x*6364136223846793005 + 1442695040888963407
		b.WriteString("service s" + itoa(int64(x>>40)) + " cmd=" + itoa(int64(x>>3)) + "\n")
	}
	file := writeFile(t, b.String())
	f := newFakeServer(t, nil)
	r := runCtl(t, f, runCfg{}, "apply", file)
	if r.code != ExitError || !strings.HasPrefix(r.stderr, file+": too large to apply: ") || f.connections() != 0 {
		t.Fatalf("code %d, stderr %q, %d connections", r.code, r.stderr, f.connections())
	}
}
