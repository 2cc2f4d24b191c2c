package ctl

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestEscapeControls(t *testing.T) {
	for in, want := range map[string]string{
		"":                          "",
		"plain text, tabs\tstay":    "plain text, tabs\tstay",
		"caf\u00e9 \u65e5\u672c":    "caf\u00e9 \u65e5\u672c",
		"\x1b]0;owned\x07":          `\x1b]0;owned\x07`,
		"\x1b[2J\x1b[31mred":        `\x1b[2J\x1b[31mred`,
		"a\x00b\x08c\x7fd":          `a\x00b\x08c\x7fd`,
		"csi \u009b31m, nel \u0085": `csi \u009b31m, nel \u0085`,
		"bad \xff\xfe utf-8":        `bad \xff\xfe utf-8`,
		"evil \u202eexe.txt":        `evil \u202eexe.txt`,
		"isolate \u2066x\u2069":     `isolate \u2066x\u2069`,
		`a \x1b already`:            `a \x1b already`,
	} {
		if got := escapeControls(in); got != want {
			t.Errorf("escapeControls(%q) = %q, want %q", in, got, want)
		}
		if got := escapeControls(escapeControls(in)); got != escapeControls(in) {
			t.Errorf("escapeControls is not idempotent on %q: %q", in, got)
		}
	}
	for in, want := range map[string]string{
		`{"desc":"\u001b[2J"}`:         `{"desc":"\u001b[2J"}`,
		"{\"desc\":\"\u009b31m\x7f\"}": `{"desc":"\u009b31m\u007f"}`,
		"{\"d\":\"\u202e \u00e9\"}":    `{"d":"\u202e ` + "\u00e9" + `"}`,
	} {
		if got := string(escapeJSON([]byte(in))); got != want {
			t.Errorf("escapeJSON(%q) = %q, want %q", in, got, want)
		}
	}
}

// runTTY runs cfkctl as runCtl does, stdout and stderr being terminals
// when tty is set.
func runTTY(t *testing.T, f *fakeServer, tty bool, vars map[string]string, args ...string) result {
	t.Helper()
	all := map[string]string{"HOME": "/home/test", "CFKCTL_ADDRESS": f.addr}
	for k, v := range vars {
		all[k] = v
	}
	var stdout, stderr bytes.Buffer
	code := run(args, &env{
		stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
		getenv: func(k string) string { return all[k] },
		getwd:  func() (string, error) { return "/work/dir", nil },
		now:    func() time.Time { return testNow }, loc: time.UTC,
		isTerminal: func(w io.Writer) bool { return tty && (w == &stdout || w == &stderr) },
	})
	return result{stdout: stdout.String(), stderr: stderr.String(), code: code}
}

// What cfkd sends is written with its control characters escaped on a
// terminal, as it came off one (REFERENCE §8.3); cfkctl's own colours
// stay.
func TestTerminalSafety(t *testing.T) {
	info := `{"name":"a","state":"fail","fail_reason":"Exited \u001b[2J","retries":0,"crashes":0,"tags":[],` +
		`"desc":"\u001b]0;owned\u0007 x","cmd":"echo \u009b31m"}`
	f := newFakeServer(t, map[string]string{
		"command inspect all": ok(info),
		"command status all":  ok("a\tfail\t\t" + epoch(time.Minute) + "\t" + epoch(time.Second) + "\t\tExited \x1b[2J\t"),
		"command list":        ok("a\x1b[8m"),
		// raw, as a cfkd before 'ERROR: ' escaped its control bytes sent it
		"command start service a": "ERROR: Service 'a' cannot start: \x1b]52;c;ZWNobyBvd25lZA==\x07\r\n",
	})
	tty := runTTY(t, f, true, nil, "desc")
	if want := `a: desc="\x1b]0;owned\x07 x" cmd="echo \u009b31m"` + "\n"; tty.stdout != want {
		t.Errorf("desc on a terminal: %q, want %q", tty.stdout, want)
	}
	raw := runTTY(t, f, false, nil, "desc")
	if want := "a: desc=\"\x1b]0;owned\x07 x\" cmd=\"echo \u009b31m\"\n"; raw.stdout != want {
		t.Errorf("desc into a pipe: %q, want %q", raw.stdout, want)
	}
	tty = runTTY(t, f, true, nil, "status")
	if !strings.Contains(tty.stdout, `[Exited \x1b[2J]`) || !strings.Contains(tty.stdout, "\x1b[1;31mfail\x1b[0m") {
		t.Errorf("status on a terminal: %q", tty.stdout)
	}
	tty = runTTY(t, f, true, nil, "list")
	if tty.stdout != `a\x1b[8m`+"\n" {
		t.Errorf("list on a terminal: %q", tty.stdout)
	}
	tty = runTTY(t, f, true, nil, "start", "a")
	if want := `Service 'a' cannot start: \x1b]52;c;ZWNobyBvd25lZA==\x07` + "\n"; tty.stderr != want || tty.code != ExitError {
		t.Errorf("an error on a terminal: %q %d, want %q", tty.stderr, tty.code, want)
	}
	raw = runTTY(t, f, false, nil, "start", "a")
	if !strings.Contains(raw.stderr, "\x1b]52;") {
		t.Errorf("an error into a pipe: %q", raw.stderr)
	}
	tty = runTTY(t, f, true, nil, "desc", "--json")
	if !strings.Contains(tty.stdout, `"desc":"\u001b]0;owned\u0007 x"`) || !strings.Contains(tty.stdout, `"cmd":"echo \u009b31m"`) {
		t.Errorf("desc --json on a terminal: %q", tty.stdout)
	}
}

// desc writes a \ of a value as \\ (REFERENCE §8.2), so that on a
// terminal a literal \x1b (\\x1b) reads otherwise than an ESC, which is
// written \x1b, and a value ending in \ is not read as one whose closing
// quote was escaped. A value of a desc line (a cfkd without inspect)
// keeps its \: cfkd's \xNN in it is no literal text.
func TestDescBackslashes(t *testing.T) {
	info := `{"name":"a","state":"stopped","retries":0,"crashes":0,"tags":[],` +
		`"desc":"C:\\dir\\","cmd":"printf \"\\x1b\" \u001b"}`
	f := newFakeServer(t, map[string]string{"command inspect all": ok(info)})
	tty := runTTY(t, f, true, nil, "desc")
	if want := `a: desc="C:\\dir\\" cmd="printf \"\\x1b\" \x1b"` + "\n"; tty.stdout != want {
		t.Errorf("desc on a terminal: %q, want %q", tty.stdout, want)
	}
	raw := runTTY(t, f, false, nil, "desc")
	if want := `a: desc="C:\\dir\\" cmd="printf \"\\x1b\" ` + "\x1b\"\n"; raw.stdout != want {
		t.Errorf("desc into a pipe: %q, want %q", raw.stdout, want)
	}
	old := newFakeServer(t, map[string]string{
		"command inspect all": "ERROR: unknown command 'inspect'\r\n",
		"command desc all":    ok("a\t\tC:\\dir\\\t\tprintf \"\\x1b\" \\x1b"),
	})
	if got, want := runTTY(t, old, false, nil, "desc").stdout, `a: desc="C:\dir\" cmd="printf \"\x1b\" \x1b"`+"\n"; got != want {
		t.Errorf("desc of a desc line: %q, want %q", got, want)
	}
}

func writeToken(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// On a TCP address cfkctl sends `auth TOKEN` first, the token read from
// --token-file or $CFKCTL_TOKEN_FILE; on a UNIX socket, never
// (REFERENCE §8.1).
func TestTokenFile(t *testing.T) {
	const tok = "0123456789abcdef0123456789abcdef"
	file := writeToken(t, "# mine\noperate "+tok+" deploy\n")
	f := newTCPFakeServer(t, map[string]string{"auth " + tok: ok(), "command list": ok("a")})
	if r := runTTY(t, f, false, nil, "--token-file", file, "list"); r.code != ExitOK || r.stdout != "a\n" {
		t.Fatalf("list: %+v", r)
	}
	if got := f.waitRequests(t, 3); strings.Join(got, "|") != "auth "+tok+"|command list|exit" {
		t.Errorf("requests: %q", got)
	}
	if r := runTTY(t, f, false, map[string]string{"CFKCTL_TOKEN_FILE": file}, "list"); r.code != ExitOK {
		t.Fatalf("with CFKCTL_TOKEN_FILE: %+v", r)
	}
	if got := f.waitRequests(t, 6); got[3] != "auth "+tok {
		t.Errorf("with CFKCTL_TOKEN_FILE: %q", got)
	}

	bad := writeToken(t, "0123456789abcdef0123456789abcdeX\n")
	r := runTTY(t, f, false, nil, "--token-file", bad, "list")
	if r.code != ExitError || !strings.HasPrefix(r.stderr, "cfkctl: cfkd refused the token of "+bad+": fake: unexpected request") {
		t.Errorf("a bad token: %+v", r)
	}
	loose := writeToken(t, tok+"\n")
	os.Chmod(loose, 0o644)
	r = runTTY(t, f, false, nil, "--token-file", loose, "list")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "chmod 600") {
		t.Errorf("a token file others can read: %+v", r)
	}

	// no token, on TCP: a hint with cfkd's refusal
	g := newTCPFakeServer(t, map[string]string{"command list": fail("not authorized")})
	r = runTTY(t, g, false, nil, "list")
	if r.code != ExitError || r.stderr != "not authorized\ncfkctl: a TCP console wants a token: --token-file FILE (or CFKCTL_TOKEN_FILE)\n" {
		t.Errorf("no token: %+v", r)
	}

	// a UNIX socket: the token file is not even read
	u := newFakeServer(t, map[string]string{"command list": ok("a")})
	if r := runTTY(t, u, false, map[string]string{"CFKCTL_TOKEN_FILE": loose}, "list"); r.code != ExitOK {
		t.Errorf("unix: %+v", r)
	}
	if got := u.waitRequests(t, 2); got[0] != "command list" {
		t.Errorf("unix: %q", got)
	}
}
