package osproc

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestCheckProgramOnANoexecMount: a program (or a script's interpreter)
// on a file system mounted noexec fails its execve with EACCES whatever
// its mode; a restart's check passed it, stopped the process that ran,
// and the launch failed (REFERENCE §2.7). It is now refused, `exec PATH:
// permission denied`, the process kept.
func TestCheckProgramOnANoexecMount(t *testing.T) {
	top, mnt := noexecMount(t)
	prog := filepath.Join(mnt, "prog")
	script := filepath.Join(top, "app")
	writeMode(t, prog, "#!/bin/sh\n", 0o755)
	writeMode(t, script, "#!"+prog+"\n", 0o755)
	var l Launcher
	for p, want := range map[string]string{
		prog:   "exec " + prog + ": permission denied",
		script: "exec " + script + `: its interpreter "` + prog + `": permission denied`,
	} {
		if err := l.CheckProgram(Spec{Argv: []string{p}}); err == nil || err.Error() != want {
			t.Errorf("CheckProgram %s: %v, want %s", p, err, want)
		}
	}
	if err := l.CheckProgram(Spec{Argv: []string{"/bin/sh"}}); err != nil {
		t.Errorf("/bin/sh: %v", err)
	}
}

// TestLookPathNoexecInThePATH: a command found in a PATH directory on a
// noexec mount is what execvp(3) passes over with EACCES, and fails with
// when nothing later is found: `exec prog: DIR/prog: permission denied`.
// The look-up said `executable file not found in PATH` of a program that
// is there (REFERENCE §2.4). One found later in the PATH is taken.
func TestLookPathNoexecInThePATH(t *testing.T) {
	top, mnt := noexecMount(t)
	writeMode(t, filepath.Join(mnt, "prog"), "#!/bin/sh\n", 0o755)
	empty, pub := filepath.Join(top, "empty"), filepath.Join(top, "pub")
	for _, d := range []string{empty, pub} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeMode(t, filepath.Join(pub, "prog"), "#!/bin/sh\n", 0o755)
	// the kernel's word, through execvp(3): sh's `exec` searches the PATH
	c := start(t, Spec{Argv: sh("PATH=" + mnt + ":" + empty + " exec prog")})
	if ws := c.wait(t); ws.ExitStatus() != 126 {
		t.Fatalf("sh's exec of prog on a noexec mount: %v, want 126 (permission denied)", ws)
	}
	var l Launcher
	want := "exec prog: " + filepath.Join(mnt, "prog") + ": permission denied"
	if err := l.CheckProgram(Spec{Argv: []string{"prog"}, Env: []string{"PATH=" + mnt + ":" + empty}}); err == nil || err.Error() != want {
		t.Errorf("CheckProgram: %v, want %s", err, want)
	}
	if _, err := tryStart(t, Spec{Argv: []string{"prog"}, Env: []string{"PATH=" + mnt}}); err == nil || err.Error() != want {
		t.Errorf("Launch: %v, want %s", err, want)
	}
	if got, _, err := lookPath("prog", []string{"PATH=" + mnt + ":" + pub}, "", nil); err != nil || got != filepath.Join(pub, "prog") {
		t.Errorf("a later one: lookPath = %q, %v; want %s", got, err, filepath.Join(pub, "prog"))
	}
}

// noexecMount mounts a small tmpfs noexec at TOP/nx for the test (root
// only; the test is skipped where it cannot), unmounted at its end.
func noexecMount(t *testing.T) (top, mnt string) {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	top = t.TempDir()
	mnt = filepath.Join(top, "nx")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", syscall.MS_NOEXEC, "size=1m"); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(mnt, syscall.MNT_DETACH) })
	return top, mnt
}
