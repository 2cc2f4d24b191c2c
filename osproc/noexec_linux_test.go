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
	if os.Getuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	top := t.TempDir()
	mnt := filepath.Join(top, "nx")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", syscall.MS_NOEXEC, "size=1m"); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(mnt, syscall.MNT_DETACH) })
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
