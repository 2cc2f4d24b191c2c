package daemon

import (
	"github.com/cfk/cfk/rights"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// --http ADDR: HOST:PORT, [v6]:PORT, :PORT for localhost; a port is needed.
func TestParseHTTPAddress(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:8080": "127.0.0.1:8080", ":0": "localhost:0", "[::1]:9000": "[::1]:9000",
		"tcp:localhost:80": "localhost:80", "0.0.0.0:80": "0.0.0.0:80",
	} {
		a, err := parseHTTPAddress(in)
		if err != nil || a.Network != "tcp" || a.Addr != want {
			t.Errorf("%q: %+v %v, want %s", in, a, err, want)
		}
	}
	for _, in := range []string{"", "localhost", "127.0.0.1", "unix:/x", "127.0.0.1:", "http://127.0.0.1:80/"} {
		if a, err := parseHTTPAddress(in); err == nil {
			t.Errorf("%q: %+v, want an error", in, a)
		}
	}
}

// A non-loopback address needs --http-remote; the token file must hold
// one word; --http-remote and --http-token need --http.
func TestCheckHTTP(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good, empty, two, short := write("good", "  s3cret-s3cret-s3cret\n"), write("empty", " \n"), write("two", "a b\n"), write("short", "s3cret\n")

	if c, err := checkHTTP(Flags{}, nil); c != nil || err != nil {
		t.Errorf("no --http: %+v %v", c, err)
	}
	for _, addr := range []string{"127.0.0.1:0", "localhost:0", "[::1]:0", ":0"} {
		if c, err := checkHTTP(Flags{HTTP: addr}, nil); err != nil || c.tokens != nil || !c.guardHost {
			t.Errorf("%s: %+v %v", addr, c, err)
		}
		// --http-remote: any Host is answered (a reverse proxy passes the
		// public one; REFERENCE §10.1); it was refused 421 on loopback
		if c, err := checkHTTP(Flags{HTTP: addr, HTTPRemote: true}, nil); err != nil || c.guardHost {
			t.Errorf("%s with --http-remote: %+v %v", addr, c, err)
		}
	}
	for _, addr := range []string{"0.0.0.0:80", "[::]:80", "example.com:80", "10.1.2.3:80"} {
		_, err := checkHTTP(Flags{HTTP: addr}, nil)
		if err == nil || !strings.Contains(err.Error(), "is not a loopback address") || !strings.Contains(err.Error(), "--http-remote") ||
			strings.Contains(err.Error(), "readable by anyone") {
			t.Errorf("%s without --http-remote: %v", addr, err)
		}
		if _, err := checkHTTP(Flags{HTTP: addr, HTTPRemote: true}, nil); err != nil {
			t.Errorf("%s with --http-remote: %v", addr, err)
		}
	}
	if c, err := checkHTTP(Flags{HTTP: ":0", HTTPToken: good}, nil); err != nil || c.tokens == nil || !bareFound(c.tokens, "s3cret-s3cret-s3cret") {
		t.Errorf("token: %+v %v", c, err)
	}
	// a short bare token can be guessed by anyone who reaches the listener
	if _, err := checkHTTP(Flags{HTTP: ":0", HTTPToken: short}, nil); err == nil || !strings.Contains(err.Error(), "the token is 6 characters, want at least 16") {
		t.Errorf("a bare token of 6 characters: %v", err)
	}
	for _, f := range []string{empty, two, filepath.Join(dir, "missing")} {
		if _, err := checkHTTP(Flags{HTTP: ":0", HTTPToken: f}, nil); err == nil {
			t.Errorf("token file %s accepted", f)
		}
	}
	// a bare token others can read is no secret: refused as a token
	// file's would be
	shared := write("shared", "s3cret-s3cret-s3cret\n")
	os.Chmod(shared, 0o644)
	if _, err := checkHTTP(Flags{HTTP: ":0", HTTPToken: shared}, nil); err == nil || !strings.Contains(err.Error(), "lets others read or change it") {
		t.Errorf("a token file of mode 0644: %v", err)
	}
	// --insecure-http: the GETs open, as before identities (REFERENCE §10.1)
	if c, err := checkHTTP(Flags{HTTP: ":0", InsecureHTTP: true}, nil); err != nil || !c.open {
		t.Errorf("--insecure-http: %+v %v", c, err)
	}
	if c, err := checkHTTP(Flags{HTTP: ":0"}, nil); err != nil || c.open || len(c.readers.AdminUIDs) == 0 || c.readers.AdminUIDs[0] != 0 {
		t.Errorf("the readers of --http: %+v %v", c, err)
	}
	for _, args := range [][]string{{"--http-remote"}, {"--http-token", good}, {"--insecure-http"}} {
		if _, err := parseFlags(append([]string{"--home", dir}, args...), io.Discard); err == nil ||
			!strings.Contains(err.Error(), "need --http") {
			t.Errorf("%q without --http: %v", args, err)
		}
	}
	f, err := parseFlags([]string{"--home", dir, "--http", ":0", "--http-remote", "--http-token", good, "--insecure-http"}, io.Discard)
	if err != nil || f.HTTP != ":0" || !f.HTTPRemote || f.HTTPToken != good || !f.InsecureHTTP {
		t.Errorf("flags %+v %v", f, err)
	}
}

// bareFound: secret is among tokens, at the operate level.
func bareFound(tokens *rights.Store, secret string) bool {
	t, ok := tokens.Lookup(secret)
	return ok && t.Level == rights.Operate
}
