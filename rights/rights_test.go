package rights

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cfk/cfk/internal/testkit"
	"github.com/cfk/cfk/messages"
)

// The rights table of REFERENCE §5.1, as the issue states it.
var wantLevels = map[messages.Verb]Level{
	"status": Read, "desc": Read, "pids": Read, "inspect": Read, "list": Read, "version": Read,
	"sockets": Read, "proxystatus": Read, "events": Read, "tail": Read, "upgraded": Read,
	"start": Operate, "stop": Operate, "up": Operate, "down": Operate, "restart": Operate,
	"rollingrestart": Operate, "signal": Operate, "proxyup": Operate, "proxydown": Operate,
	"destroy": Admin, "bind": Admin, "unbind": Admin, "apply": Admin, "shutdown": Admin, "upgrade": Admin,
}

// Every verb package messages declares has the level REFERENCE §5.1
// gives it, and one that the reference does not place yet needs admin;
// the table gives no other level than the reference's.
func TestEveryDeclaredVerbHasItsLevel(t *testing.T) {
	verbs := testkit.DeclaredVerbs(t)
	if len(verbs) < 22 {
		t.Fatalf("found only %d verbs in package messages: %q", len(verbs), verbs)
	}
	table := Verbs()
	for _, v := range verbs {
		want, ok := wantLevels[v]
		if !ok {
			// a verb nobody placed yet: admin, until it is added to
			// verbLevels, wantLevels and the table of REFERENCE §5.1
			if got := VerbLevel(v); got != Admin {
				t.Errorf("new verb %q: level %v, want admin by default", v, got)
			}
			t.Logf("verb %q has no level of its own: admin", v)
			continue
		}
		if got := VerbLevel(v); got != want {
			t.Errorf("verb %q: level %v, want %v", v, got, want)
		}
		if _, ok := table[v]; !ok && want != Admin {
			t.Errorf("verb %q: not in the table", v)
		}
	}
	for v, l := range table {
		if wantLevels[v] != l {
			t.Errorf("the table gives %q %v, want %v", v, l, wantLevels[v])
		}
	}
	for _, v := range []messages.Verb{"", "bogus", "STATUS", "Status", " status", "status ", "statuss", "status\x00", "upgrade"} {
		if got := VerbLevel(v); got != Admin {
			t.Errorf("unknown verb %q: level %v, want admin", v, got)
		}
	}
}

func TestRequired(t *testing.T) {
	data := messages.EncodeApplyData("service a cmd=x\n")
	for _, tc := range []struct {
		line string
		want Level
	}{
		{"service a cmd=sleep 1", Admin},
		{"socket s host=127.0.0.1", Admin},
		// a socket file's owner is an admin's choice, as its declaration (REFERENCE §5.1)
		{"socket s user=www-data", Admin},
		{"socket s group=www-data", Admin},
		{"socket s mode=0666", Admin},
		{"proxy p cmd=cfk-proxy", Admin},
		{"proxy p service w cmd=x", Admin},
		{"command status", Read},
		{"command desc service a", Read},
		{"command inspect all", Read},
		{"command list", Read},
		{"command version", Read},
		{"command sockets", Read},
		{"command proxystatus", Read},
		{"command pids tag t", Read},
		{"command start service a", Operate},
		{"command stop all", Operate},
		{"command restart tag web", Operate},
		{"command rollingrestart all", Operate},
		{"command signal HUP all", Operate},
		{"command proxyup p", Operate},
		{"command proxydown p", Operate},
		{"command up all", Operate},
		{"command down all", Operate},
		{"command destroy all", Admin},
		{"command bind s", Admin},
		{"command unbind s", Admin},
		{"command shutdown", Admin},
		{"command apply " + data, Admin},
		{"command apply prune rolling " + data, Admin},
		{"command apply dry-run " + data, Read},
		{"command apply dry-run prune " + data, Read},
		{"command apply dry-run " + messages.EncodeApplyData("service a cmd=x\nservice a add_env=K=guess\n"), Admin},
		{"command apply dry-run " + messages.EncodeApplyData("proxy p cmd=x\nproxy p add_env=K=guess\n"), Admin},
		{"command fleet hosts", Read},
		{"command fleet status", Read},
		{"command fleet events", Read},
		{"command fleet hosts=web1 restart tag web", Operate},
		{"command fleet rolling-hosts restart tag web", Operate},
		{"command fleet status all", Read},
		{"command fleet destroy all", Admin},
		{"command fleet shutdown", Admin},
	} {
		st, err := messages.Parse(tc.line)
		if err != nil {
			t.Fatalf("%q: %v", tc.line, err)
		}
		if got := Required(st); got != tc.want {
			t.Errorf("%q: needs %v, want %v", tc.line, got, tc.want)
		}
		for _, have := range []Level{None, Read, Operate, Admin} {
			err := Check(have, st)
			if ok := have >= tc.want; ok != (err == nil) {
				t.Errorf("%q with %v: %v", tc.line, have, err)
			}
			if err != nil && err != messages.ErrNotAuthorized {
				t.Errorf("%q: refusal %v, want not authorized", tc.line, err)
			}
		}
	}
	// a statement type this package does not know needs admin
	type other struct{ messages.ControlCommand }
	if got := Required(other{}); got != Admin {
		t.Errorf("unknown statement: %v", got)
	}
}

func TestLevels(t *testing.T) {
	for _, l := range []Level{Read, Operate, Admin} {
		got, err := ParseLevel(l.String())
		if err != nil || got != l {
			t.Errorf("ParseLevel(%q) = %v, %v", l.String(), got, err)
		}
	}
	for _, s := range []string{"", "none", "Admin", "READ", "root", "write"} {
		if _, err := ParseLevel(s); err == nil {
			t.Errorf("ParseLevel(%q) accepted", s)
		}
	}
	if None.String() != "none" || Level(9).String() != "level(9)" {
		t.Errorf("names: %v %v", None, Level(9))
	}
	if !Admin.Allows(Read) || Read.Allows(Operate) || !None.Allows(None) {
		t.Error("Allows")
	}
}

const (
	tokA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	tokB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	tokC = "cccccccccccccccccccccccccccccccc"
)

func TestParseTokens(t *testing.T) {
	text := "# the team's tokens\n\nread " + tokA + "\n  operate " + tokB + " alice  \nadmin\t" + tokC + " ci\n"
	ts, err := ParseTokens("tokens", strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	if ts.Len() != 3 {
		t.Fatalf("%d tokens", ts.Len())
	}
	for secret, want := range map[string]Token{
		tokA: {Read, "line 3"}, tokB: {Operate, "alice"}, tokC: {Admin, "ci"},
	} {
		if got, ok := ts.Lookup(secret); !ok || got != want {
			t.Errorf("Lookup(%q) = %v %v, want %v", secret[:4], got, ok, want)
		}
	}
	for _, bad := range []string{"", tokA[:31], tokA + "a", "aaaa", " " + tokA, strings.ToUpper(tokA)} {
		if got, ok := ts.Lookup(bad); ok {
			t.Errorf("Lookup(%q) = %v", bad, got)
		}
	}
	// a byte order mark at the file's start is skipped, as a config
	// file's; anywhere else it is no level
	if ts, err := ParseTokens("bom", strings.NewReader("\ufeffadmin "+tokC+" ci\n")); err != nil {
		t.Errorf("a file with a byte order mark: %v", err)
	} else if got, ok := ts.Lookup(tokC); !ok || got != (Token{Admin, "ci"}) {
		t.Errorf("a file with a byte order mark: Lookup = %v %v", got, ok)
	}
	if _, err := ParseTokens("bom", strings.NewReader("read "+tokA+"\n\ufeffadmin "+tokC+"\n")); err == nil {
		t.Error("a byte order mark on line 2 was taken")
	}
	var none *Tokens
	if _, ok := none.Lookup(tokA); ok || none.Len() != 0 {
		t.Error("a nil *Tokens holds a token")
	}

	for _, tc := range []struct{ text, want string }{
		{"", "f: no token"},
		{"# nothing\n\n", "f: no token"},
		{"read\n", `f:1: expected "LEVEL TOKEN [NAME]"`},
		{"read " + tokA + " a b\n", `f:1: expected "LEVEL TOKEN [NAME]"`},
		{"\nroot " + tokA + "\n", `f:2: unknown level "root" (want read, operate or admin)`},
		{"read short\n", "f:1: token too short (at least 16 characters)"},
		{"read " + tokA + "\xff\n", "f:1: a token is printable ASCII"},
		{"read " + tokA + "\nadmin " + tokA + "\n", "f:2: the same token as line 1"},
		{"read " + tokA + " x\nadmin " + tokB + " x\n", `f:2: name "x" already given on line 1`},
	} {
		_, err := ParseTokens("f", strings.NewReader(tc.text))
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q: %v, want %s", tc.text, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), tokA) {
			t.Errorf("%q: the error quotes the token: %v", tc.text, err)
		}
	}
}

func TestTokenFileModes(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tokens")
	if err := os.WriteFile(path, []byte("operate "+tokB+" bob\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if tok, ok := s.Lookup(tokB); !ok || tok.Name != "bob" || s.Path() != path {
		t.Fatalf("Lookup: %v %v", tok, ok)
	}
	for _, mode := range []os.FileMode{0o640, 0o604, 0o660, 0o644} {
		os.Chmod(path, mode)
		if _, err := ParseTokenFile(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("mode %04o: %v", mode, err)
		}
		if _, err := ReadClientToken(path); err == nil {
			t.Errorf("client, mode %04o: accepted", mode)
		}
	}
	os.Chmod(path, 0o400)
	if _, err := ParseTokenFile(path); err != nil {
		t.Errorf("mode 0400: %v", err)
	}
	if _, err := ParseTokenFile(dir); err == nil {
		t.Error("a directory accepted")
	}
	if _, err := ParseTokenFile(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing file accepted")
	}
	if os.Geteuid() == 0 {
		os.Chown(path, 65534, 65534)
		if _, err := ParseTokenFile(path); err == nil || !strings.Contains(err.Error(), "owned by uid 65534") {
			t.Errorf("owned by nobody: %v", err)
		}
		os.Chown(path, 0, 0)
	}

	// a reload that fails keeps the tokens; one that works replaces them
	os.Chmod(path, 0o600)
	os.WriteFile(path, []byte("bad\n"), 0o600)
	if _, err := s.Reload(); err == nil {
		t.Fatal("a bad file reloaded")
	}
	if _, ok := s.Lookup(tokB); !ok {
		t.Fatal("a failed reload lost the tokens")
	}
	os.WriteFile(path, []byte("admin "+tokC+"\n"), 0o600)
	if ts, err := s.Reload(); err != nil || ts.Len() != 1 {
		t.Fatalf("reload: %v", err)
	}
	if _, ok := s.Lookup(tokB); ok {
		t.Error("a token removed from the file still works after a reload")
	}
	if tok, ok := s.Lookup(tokC); !ok || tok.Level != Admin {
		t.Errorf("new token: %v %v", tok, ok)
	}
	if ts, err := StoreOf(nil).Reload(); err != nil || ts != nil {
		t.Errorf("StoreOf(nil).Reload: %v %v", ts, err)
	}
}

func TestReadClientToken(t *testing.T) {
	dir := t.TempDir()
	for text, want := range map[string]string{
		tokA + "\n":                       tokA,
		"# mine\n\n  " + tokA + "  \n":    tokA,
		"operate " + tokB + "\n":          tokB,
		"admin " + tokC + " ci\nread x\n": tokC,
		"\ufeff" + tokA + "\n":            tokA, // a byte order mark skipped
		"\ufeffadmin " + tokC + "\n":      tokC,
	} {
		path := filepath.Join(dir, "t")
		os.WriteFile(path, []byte(text), 0o600)
		if got, err := ReadClientToken(path); err != nil || got != want {
			t.Errorf("%q: %q %v", text, got, err)
		}
	}
	for _, text := range []string{"", "# only\n", "two words\n", "root " + tokA + "\n"} {
		path := filepath.Join(dir, "t")
		os.WriteFile(path, []byte(text), 0o600)
		if got, err := ReadClientToken(path); err == nil {
			t.Errorf("%q: accepted %q", text, got)
		}
	}
}
