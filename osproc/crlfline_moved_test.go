package osproc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A start whose cached program is gone (moved to a directory earlier in
// the PATH, as an install of a new version does) finds it again and runs
// the new one: its "#!" line is that one's, not the gone file's (crlfLine
// read nothing of it), so a new version saved with CRLF line ends warns at
// its first start, and one saved with LF after a CRLF one does not
// (REFERENCE §2.1). The retry used to drop the line the look-up read.
func TestPathCacheRetryGivesTheNewScriptsCRLFLine(t *testing.T) {
	for _, c := range []struct {
		name     string
		old, new string
		want     string
	}{
		{"to CRLF", "#!/bin/sh\nexit 0\n", "#!/bin/sh -e\r\nexit 0\r\n", "#!/bin/sh -e\r"},
		{"to LF", "#!/bin/sh -e\r\nexit 0\r\n", "#!/bin/sh\nexit 0\n", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, b := t.TempDir(), t.TempDir()
			prog := "cfk-crlfmoved-test"
			if err := os.WriteFile(filepath.Join(b, prog), []byte(c.old), 0o755); err != nil {
				t.Fatal(err)
			}
			spec := Spec{Argv: []string{prog}, Env: append(os.Environ(), "PATH="+a+":"+b+":/usr/bin:/bin")}
			start(t, spec).wait(t)
			if _, cached, err := launcher.paths.lookup(prog, spec.Env, "", nil); err != nil || !cached {
				t.Fatalf("not cached after a start: %v %v", cached, err)
			}
			// the new version, earlier in the PATH; the old one removed
			if err := os.WriteFile(filepath.Join(a, prog), []byte(c.new), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(filepath.Join(b, prog)); err != nil {
				t.Fatal(err)
			}
			p := start(t, spec)
			p.wait(t)
			if p.CRLFLine != c.want {
				t.Fatalf("the new version's start: CRLFLine %q, want %q", p.CRLFLine, c.want)
			}
		})
	}
}

// The same, when the new version's interpreter is not there, as a script
// saved with CRLF names "/bin/sh\r": the start fails saying why, as one
// that looked the program up afresh does, not with the exec's "no such
// file or directory" of the gone file (REFERENCE §2.1).
func TestPathCacheRetrySaysWhyTheNewScriptCannotRun(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	prog := "cfk-crlfmoved-test"
	if err := os.WriteFile(filepath.Join(b, prog), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	spec := Spec{Argv: []string{prog}, Env: append(os.Environ(), "PATH="+a+":"+b+":/usr/bin:/bin")}
	start(t, spec).wait(t)
	if err := os.WriteFile(filepath.Join(a, prog), []byte("#!/bin/sh\r\nexit 0\r\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(b, prog)); err != nil {
		t.Fatal(err)
	}
	_, err := tryStart(t, spec)
	if err == nil || !strings.HasSuffix(err.Error(), `: its interpreter "/bin/sh\r": no such file or directory`+crlfSaid) {
		t.Fatalf("the new version's start: %v; want its interpreter \"/bin/sh\\r\" not there%s", err, crlfSaid)
	}
}

// A script replaced at its path within the cache's second (renamed over,
// as an editor or an install does) is read afresh at the next start: the
// cache holds where the command is, never what the file says, and the
// warning follows the file (REFERENCE §2.4), both ways.
func TestPathCacheNeverServesAStaleCRLFLine(t *testing.T) {
	dir := t.TempDir()
	prog := "cfk-crlfreplaced-test"
	spec := Spec{Argv: []string{prog}, Env: append(os.Environ(), "PATH="+dir+":/usr/bin:/bin")}
	for i, c := range []struct{ text, want string }{
		{"#!/bin/sh\nexit 0\n", ""},
		{"#!/bin/sh -e\r\nexit 0\r\n", "#!/bin/sh -e\r"},
		{"#!/bin/sh\nexit 0\n", ""},
	} {
		if i > 0 { // the cache holds the path: the start takes it from there
			if _, _, err := launcher.paths.lookup(prog, spec.Env, "", nil); err != nil {
				t.Fatal(err)
			}
		}
		tmp := filepath.Join(dir, ".new")
		if err := os.WriteFile(tmp, []byte(c.text), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, prog)); err != nil {
			t.Fatal(err)
		}
		p := start(t, spec)
		p.wait(t)
		if p.CRLFLine != c.want {
			t.Fatalf("start %d: CRLFLine %q, want %q", i+1, p.CRLFLine, c.want)
		}
	}
}
