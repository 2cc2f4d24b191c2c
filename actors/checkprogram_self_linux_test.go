package actors

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/cfk/cfk/internal/testkit"
	"github.com/cfk/cfk/osproc"
)

// TestRunAsCheckProgramSelf is the unprivileged cfkd of
// TestCheckProgramNonRootCfkd: the check of a service with no `user`,
// which runs as cfkd's own user, of the program CFK_PROG.
func TestRunAsCheckProgramSelf(t *testing.T) {
	if os.Getenv(testkit.RunAsEnv) == "" {
		t.Skip("run by TestCheckProgramNonRootCfkd")
	}
	var l osproc.Launcher
	if err := l.CheckProgram(osproc.Spec{Argv: []string{os.Getenv("CFK_PROG")}}); err != nil {
		testkit.RunAsOutput(err.Error())
		return
	}
	testkit.RunAsOutput("ok")
}

// TestCheckProgramNonRootCfkd (here, not in osproc, whose tests' reaper
// would take RunAs's child): a cfkd that does not run as root checks
// a program for a service with no `user` (run as cfkd's own user) as the
// kernel would exec it: a program of root's of mode 0700 passed the check
// (any x bit did), so a restart stopped the service, then its start
// failed `permission denied`. A program that user may run passes.
func TestCheckProgramNonRootCfkd(t *testing.T) {
	testkit.RequireRoot(t)
	dir, err := os.MkdirTemp("", "cfk-selfexec-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, mode := range map[string]os.FileMode{"private": 0o700, "public": 0o755} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\nexit 0\n"), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // past the umask
			t.Fatal(err)
		}
		want := "ok"
		if mode == 0o700 {
			want = "exec " + p + ": permission denied"
		}
		if got := testkit.RunAs(t, 65534, 65534, "TestRunAsCheckProgramSelf", "CFK_PROG="+p); got != want {
			t.Errorf("%s (mode %o) checked by a cfkd of uid 65534: %q, want %q", p, mode, got, want)
		}
	}
}
