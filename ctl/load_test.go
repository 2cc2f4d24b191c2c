package ctl

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// declared answers OK to any of lines.
func declared(lines ...string) map[string]string {
	m := map[string]string{}
	for _, l := range lines {
		m[l] = ok()
	}
	return m
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "services.conf")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoad(t *testing.T) {
	conf := `# a config file
service svc1 cmd=${BASE}/bin/app --conf ${BASE}/etc/app.conf

   # indented comment
service svc1 tags=web,prod   # trailing comment is cfkd's business
	
service svc2 cmd=sleep 100
`
	sent := []string{
		"service svc1 cmd=/srv/app/bin/app --conf /srv/app/etc/app.conf",
		"service svc1 tags=web,prod   # trailing comment is cfkd's business",
		"service svc2 cmd=sleep 100",
	}
	file := writeFile(t, conf)
	crlf := writeFile(t, strings.ReplaceAll(conf, "\n", "\r\n"))
	noEOL := writeFile(t, strings.TrimSuffix(conf, "\n"))
	noEOLCR := writeFile(t, strings.TrimSuffix(conf, "\n")+"\r")
	// a byte order mark some editors write: skipped, never sent as part
	// of the first statement (`unknown command '\ufeffservice'`)
	bom := writeFile(t, "\ufeff"+conf)

	for _, tc := range []cmdCase{
		{name: "file with --basedir", args: []string{"--basedir", "/srv/app", "load", file}, replies: declared(sent...), reqs: sent},
		{name: "basedir cleaned", args: []string{"--basedir", "/srv/./app/", "load", file}, replies: declared(sent...), reqs: sent},
		{name: "crlf file", args: []string{"load", crlf, "--basedir=/srv/app"}, replies: declared(sent...), reqs: sent},
		{name: "no newline at the end", args: []string{"load", noEOL, "--basedir=/srv/app"}, replies: declared(sent...), reqs: sent},
		{name: "cr at the very end", args: []string{"load", noEOLCR, "--basedir=/srv/app"}, replies: declared(sent...), reqs: sent},
		{name: "byte order mark", args: []string{"load", bom, "--basedir=/srv/app"}, replies: declared(sent...), reqs: sent},
		{name: "byte order mark on stdin", args: []string{"load", "-", "--basedir", "/srv/app"}, cfg: runCfg{stdin: "\ufeffservice svc2 cmd=sleep 100\n"},
			replies: declared("service svc2 cmd=sleep 100"), reqs: []string{"service svc2 cmd=sleep 100"}},
		{name: "stdin", args: []string{"load", "-", "--basedir", "/srv/app"}, cfg: runCfg{stdin: conf}, replies: declared(sent...), reqs: sent},
		{name: "relative basedir", args: []string{"--basedir", "app", "load", "-"}, cfg: runCfg{stdin: conf, wd: "/srv"},
			replies: declared(sent...), reqs: sent},
		{name: "current directory by default", args: []string{"load", "-"}, cfg: runCfg{stdin: conf, wd: "/srv/app"},
			replies: declared(sent...), reqs: sent},
		{name: "empty input still connects", args: []string{"load", "-"}, cfg: runCfg{stdin: "# nothing\n\n"}, reqs: []string{}},
		{name: "json", args: []string{"load", "-", "--json"}, cfg: runCfg{stdin: "service a cmd=x\n"},
			replies: declared("service a cmd=x"), reqs: []string{"service a cmd=x"}, stdout: `{"ok":true,"lines":[]}` + "\n"},
		{name: "reply lines are printed", args: []string{"load", "-"}, cfg: runCfg{stdin: "command start service a\ncommand status service a\n"},
			replies: map[string]string{"command start service a": ok("done 1"), "command status service a": ok("a\tstarting\t42")},
			reqs:    []string{"command start service a", "command status service a"}, stdout: "done 1\na\tstarting\t42\n"},
	} {
		t.Run(tc.name, tc.check)
	}
}

func TestLoadStopsAtFirstError(t *testing.T) {
	conf := "service a cmd=x\n\n# comment\nservice a bogus=1\nservice b cmd=y\n"
	file := writeFile(t, conf)
	replies := map[string]string{
		"service a cmd=x":   ok(),
		"service a bogus=1": fail("invalid property 'bogus'"),
		"service b cmd=y":   ok(),
	}
	reqs := []string{"service a cmd=x", "service a bogus=1"}
	for _, tc := range []cmdCase{
		{name: "file", args: []string{"load", file}, replies: replies, reqs: reqs, code: 1,
			stderr: file + ":4: invalid property 'bogus'\n"},
		{name: "stdin", args: []string{"load", "-"}, cfg: runCfg{stdin: conf}, replies: replies, reqs: reqs, code: 1,
			stderr: "-:4: invalid property 'bogus'\n"},
		{name: "json", args: []string{"load", "-", "--json"}, cfg: runCfg{stdin: conf}, replies: replies, reqs: reqs, code: 1,
			stdout: `{"ok":false,"error":"-:4: invalid property 'bogus'"}` + "\n", stderr: "-:4: invalid property 'bogus'\n"},
		// cfkd -c, apply and the admin socket take a "\r" inside a line (white
		// space, or dropped from a desc); the original cfkctl sent it too.
		{name: "inner carriage return", args: []string{"load", "-"}, cfg: runCfg{stdin: "service a cmd=x\nservice a\rbogus=1\n"},
			replies: map[string]string{"service a cmd=x": ok(), "service a\rbogus=1": fail("invalid property 'bogus'")},
			reqs:    []string{"service a cmd=x", "service a\rbogus=1"}, code: 1,
			stderr: "-:2: invalid property 'bogus'\n"},
		{name: "too long", args: []string{"load", "-"}, cfg: runCfg{stdin: "service a cmd=x\nservice a desc=" + strings.Repeat("d", 70000) + "\n"},
			replies: replies, reqs: []string{"service a cmd=x"}, code: 1,
			stderr: "-:2: line too long (max 65536 bytes)\n"},
		{name: "too long once replaced", args: []string{"--basedir", "/" + strings.Repeat("b", 40000), "load", "-"},
			cfg:     runCfg{stdin: "service a cmd=${BASE}/x ${BASE}/y\n"},
			replies: replies, reqs: []string{}, code: 1, stderr: "-:1: line too long (max 65536 bytes)\n"},
		{name: "exit is refused", args: []string{"load", "-"}, cfg: runCfg{stdin: "service a cmd=x\n  EXIT  \n"},
			replies: replies, reqs: []string{"service a cmd=x"}, code: 1,
			stderr: "-:2: exit is not a statement (it would end the connection)\n"},
		// cfkd reads it as exit once its comment is stripped (REFERENCE §1)
		{name: "exit with a comment is refused", args: []string{"load", "-"}, cfg: runCfg{stdin: "service a cmd=x\n\texit # bye\n"},
			replies: replies, reqs: []string{"service a cmd=x"}, code: 1,
			stderr: "-:2: exit is not a statement (it would end the connection)\n"},
	} {
		t.Run(tc.name, tc.check)
	}
}

func TestLoadMissingFile(t *testing.T) {
	f := newFakeServer(t, nil)
	missing := filepath.Join(t.TempDir(), "nope.conf")
	r := runCtl(t, f, runCfg{}, "load", missing)
	want := "cfkctl: load: open " + missing + ": no such file or directory\n"
	if r.code != ExitError || r.stderr != want || f.connections() != 0 {
		t.Fatalf("got %+v (%d connections), want stderr %q", r, f.connections(), want)
	}
}

func TestLoadEveryBase(t *testing.T) {
	f := newFakeServer(t, declared("a ${X} /b /b/c/b"))
	r := runCtl(t, f, runCfg{stdin: "a ${X} ${BASE} ${BASE}/c${BASE}\n"}, "load", "-", "--basedir", "/b")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("got %+v", r)
	}
	want := []string{"a ${X} /b /b/c/b", "exit"}
	if got := f.waitRequests(t, 2); !reflect.DeepEqual(got, want) {
		t.Fatalf("requests %q, want %q", got, want)
	}
}
