package osproc

import (
	"os"
	"path/filepath"
	"testing"
)

// A script saved with CRLF line ends run under a shim (Program: the
// /bin/sh that sets umask, limit_nofile or LISTEN_PID, then execs it)
// warns as it does without one (REFERENCE §2.1, §2.6): its "#!" line is
// the script's, at the first start (the look-up's read) and at the next
// (the cache answered: crlfLine), and none for an LF one. The shim's
// Argv[0], /bin/sh, was the file read, and no start under a shim warned.
func TestShimGivesTheScriptsCRLFLine(t *testing.T) {
	for _, c := range []struct{ name, text, want string }{
		{"crlf", "#!/bin/sh -e\r\nexit 0\r\n", "#!/bin/sh -e\r"},
		{"lf", "#!/bin/sh -e\nexit 0\n", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			prog := filepath.Join(dir, "cfk-crlfshim-test")
			if err := os.WriteFile(prog, []byte(c.text), 0o755); err != nil {
				t.Fatal(err)
			}
			spec := Spec{Argv: []string{"/bin/sh", "-c", `umask 0027; exec "$0" "$@"`, prog}, Program: prog}
			for i := 1; i <= 2; i++ {
				p := start(t, spec)
				p.wait(t)
				if p.CRLFLine != c.want {
					t.Fatalf("start %d: CRLFLine %q, want %q", i, p.CRLFLine, c.want)
				}
			}
		})
	}
}
