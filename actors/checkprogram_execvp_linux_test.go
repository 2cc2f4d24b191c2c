package actors

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/cfk/cfk/internal/testkit"
	"github.com/cfk/cfk/osproc"
)

// TestCheckProgramAgreesWithExecvp (here, not in osproc, whose tests'
// reaper would take the child): a restart's check (CheckProgram, the
// look-up a start execs the answer of) says what glibc's execvp(3) in the
// service's process does, run by env(1) as that user: it runs, or fails
// with the same errno (a directory is execve's EACCES, the check's
// `is a directory`). A PATH entry or a program that is a symlink loop,
// a name too long (execvp stops at them: cfkd ran a later one), a `..`
// after a symlink, a relative `prog/`, an empty PATH (cfkd cleaned the
// path, or searched nothing) each once differed (REFERENCE §2.4).
func TestCheckProgramAgreesWithExecvp(t *testing.T) {
	testkit.RequireRoot(t)
	envProg, err := exec.LookPath("env")
	if err != nil {
		t.Skip("no env(1)")
	}
	top := t.TempDir()
	for _, d := range []string{filepath.Dir(top), top} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []struct {
		name string
		mode os.FileMode
	}{{"good", 0o755}, {"other", 0o755}, {"other/sub", 0o755}, {"priv", 0o700}, {"priv/bin", 0o755}, {"pub", 0o755},
		{"priv/v1", 0o755}, {"app", 0o755}, {"app/bin", 0o700}, {"rel", 0o755}, {"rel/v1", 0o755}, {"rel/bin", 0o755}} { // in order: other before other/sub
		if err := os.Mkdir(filepath.Join(top, d.name), d.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(filepath.Join(top, d.name), d.mode); err != nil { // past the umask
			t.Fatal(err)
		}
	}
	for _, f := range []string{"good/prog", "other/lp", "other/prog", "priv/prog", "priv/bin/app", "rel/bin/app"} {
		if err := os.WriteFile(filepath.Join(top, f), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// a script whose interpreter is behind a symlink loop
	if err := os.WriteFile(filepath.Join(top, "good/ilp"), []byte("#!"+filepath.Join(top, "loop/sh")+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(top, "other/ilp"), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for link, to := range map[string]string{"loop": "loop", "good/lp": "lp2", "good/lp2": "lp", "link": "other/sub", "priv/l": "l", "pub/app": "../priv/bin/app", "pub/bin": "../priv/bin",
		"app/current": "../rel/v1", "priv/loopdir": "loopdir", "pub/cur": "../priv/v1"} {
		if err := os.Symlink(to, filepath.Join(top, link)); err != nil {
			t.Fatal(err)
		}
	}
	at := func(p string) string { return filepath.Join(top, p) }
	nobody := &syscall.Credential{Uid: 65534, Gid: 65534}
	for _, c := range []struct {
		what, file, path, dir string
		cred                  *syscall.Credential
	}{
		{"a PATH entry that is a symlink loop", "prog", at("loop") + ":" + at("good"), "", nil},
		{"a program that is a symlink loop", "lp", at("good") + ":" + at("other"), "", nil},
		{"a script whose interpreter is behind a symlink loop", "ilp", at("good") + ":" + at("other"), "", nil},
		{"a PATH entry beyond PATH_MAX", "prog", "/" + strings.Repeat("a", 4100) + ":" + at("good"), "", nil},
		{"a PATH entry with a name too long", "prog", "/" + strings.Repeat("a", 300) + ":" + at("good"), "", nil},
		{"a name too long", strings.Repeat("a", 300), at("none") + ":" + at("good"), "", nil},
		{"a file and a missing directory as PATH entries", "prog", at("good/prog") + ":" + at("none") + ":" + at("other"), "", nil},
		{"a .. after a symlink in a PATH entry", "lp", at("link") + "/..", "", nil},
		{"a .. after a symlink in a program's path", "link/../lp", "", top, nil},
		{"a relative program with a trailing slash", "good/prog/", "", top, nil},
		{"an empty PATH", "prog", "", at("good"), nil},
		{"an empty PATH entry", "prog", ":" + at("none"), at("good"), nil},
		{"a relative PATH entry", "prog", "good", top, nil},
		{"a directory as the program", "good", top, "", nil},
		{"a directory as the program, by its path", at("good"), "", "", nil},
		{"a directory the user may not search", "prog", at("priv") + ":" + at("other"), "", nobody},
		{"only a directory the user may not search", "prog", at("priv"), "", nobody},
		{"a symlink to a file under a directory the user may not search", "app", at("pub"), "", nobody},
		{"a symlink to a file under a directory the user may not search, by its path", at("pub/app"), "", "", nobody},
		{"a PATH entry that is a symlink under a directory the user may not search", "app", at("pub/bin"), "", nobody},
		{"a cwd that is a symlink under a directory the user may not search", "/bin/true", "", at("pub/bin"), nobody},
		{"a symlink loop behind a directory the user may not search", "prog", at("priv/l") + ":" + at("other"), "", nobody},
		{"only a symlink loop behind a directory the user may not search", "prog", at("priv/l"), "", nobody},
		{"a .. after a symlink, the path cleaned a directory the user may not search", "app", at("app/current") + "/../bin", "", nobody},
		{"a .. after a symlink, by its path", "app/current/../bin/app", "", top, nobody},
		{"a symlink loop through a .. after a symlink into a directory the user may not search", "prog", at("pub/cur") + "/../loopdir:" + at("other"), "", nobody},
		{"only a symlink loop through a .. after a symlink into a directory the user may not search", "prog", at("pub/cur") + "/../loopdir", "", nobody},
	} {
		var l osproc.Launcher
		checkErr := l.CheckProgram(osproc.Spec{Argv: []string{c.file}, Env: []string{"PATH=" + c.path}, Dir: c.dir, Credential: c.cred})
		cmd := exec.Command(envProg, c.file)
		cmd.Env, cmd.Dir = []string{"PATH=" + c.path}, c.dir
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		runErr := cmd.Run()
		switch {
		case checkErr == nil && runErr != nil:
			t.Errorf("%s: the check passes it, execvp fails: %v, %s", c.what, runErr, stderr.String())
		case checkErr != nil && runErr == nil:
			t.Errorf("%s: the check refuses it (%v), execvp runs it", c.what, checkErr)
		case checkErr != nil:
			var want syscall.Errno
			switch {
			case !errors.As(checkErr, &want):
				want = syscall.ENOENT // executable file not found in PATH
			case want == syscall.EISDIR:
				want = syscall.EACCES
			}
			if !strings.Contains(strings.ToLower(stderr.String()+runErr.Error()), want.Error()) {
				t.Errorf("%s: the check says %v, execvp fails otherwise: %s", c.what, checkErr, stderr.String())
			}
		}
	}
}
