package ctl

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// tokenFileRun runs cfkctl list --token-file file on a TCP address
// whose listener says whether cfkctl connected.
func tokenFileRun(t *testing.T, file string) (r result, connected bool) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	r = runTTY(t, &fakeServer{addr: ln.Addr().String()}, false, nil, "--token-file", file, "list")
	// a connect that cfkctl made is in the backlog by now: Accept takes it
	// at once; none, it times out
	ln.(*net.TCPListener).SetDeadline(time.Now().Add(200 * time.Millisecond))
	if c, err := ln.Accept(); err == nil {
		c.Close()
		return r, true
	} else if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal(err)
	}
	return r, false
}

// A --token-file that cfkctl cannot use (a directory, an empty file, one
// of comments only, a missing or unreadable one) failed as a failure of
// the command (exit 1), with texts that did not say what was wrong with
// the file (`not a regular file` for a directory, `no token` for an empty
// one, `token file: open PATH: ...`). Each is a usage error now (exit 2),
// naming the file and what is wrong, before any connect (REFERENCE §8.1).
func TestTokenFileUnusable(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, mode)
		return p
	}
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	empty, comments := write("empty", "", 0o600), write("comments", "# mine\n\n", 0o600)
	missing, loose := filepath.Join(dir, "missing"), write("loose", "0123456789abcdef0123456789abcdef\n", 0o644)
	const usage = "\nRun 'cfkctl --help' for usage.\n"
	cases := []struct{ file, stderr string }{
		{sub, "cfkctl: token file " + sub + ": a directory, not a file" + usage},
		{empty, "cfkctl: token file " + empty + ": empty, no token in it" + usage},
		{comments, "cfkctl: token file " + comments + ": no token (only blank lines and comments)" + usage},
		{missing, "cfkctl: token file " + missing + ": cannot open it: no such file or directory" + usage},
		{loose, "cfkctl: token file " + loose + ": mode 0644 lets others read or change it (chmod 600 " + loose + ")" + usage},
	}
	if os.Geteuid() != 0 { // root reads a file of mode 0
		locked := write("locked", "0123456789abcdef0123456789abcdef\n", 0)
		cases = append(cases, struct{ file, stderr string }{locked,
			"cfkctl: token file " + locked + ": cannot open it: permission denied" + usage})
	}
	for _, tc := range cases {
		r, connected := tokenFileRun(t, tc.file)
		if r.code != ExitUsage || r.stderr != tc.stderr || r.stdout != "" {
			t.Errorf("%s: exit %d, stderr %q, want exit %d, %q", tc.file, r.code, r.stderr, ExitUsage, tc.stderr)
		}
		if connected {
			t.Errorf("%s: cfkctl connected with a token file it cannot use", tc.file)
		}
	}
}
