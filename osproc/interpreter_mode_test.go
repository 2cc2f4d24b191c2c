package osproc

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A script whose `#!` interpreter is there but is no program the kernel
// runs (no x bit at all, or a directory: `#! /usr/bin/ env python`)
// fails its execve with EACCES whoever runs it, root included: the
// look-up refuses it as it refuses such a program named itself, so a
// restart's check keeps the process that runs. It checked the
// interpreter by the service user's mode bits alone, which for a
// service without user= (and for root) say yes to any file.
func TestCheckProgramInterpreterNotExecutable(t *testing.T) {
	dir := t.TempDir()
	noX := filepath.Join(dir, "interp")
	writeMode(t, noX, "#!/bin/sh\nexec /bin/sh \"$@\"\n", 0o644)
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, interp string }{{"nox.sh", noX}, {"dir.sh", sub + "/"}} {
		p := filepath.Join(dir, c.name)
		writeMode(t, p, "#!"+c.interp+" -x\nexit 0\n", 0o755)
		// the kernel's word first: the premise of the test
		if err := exec.Command(p).Run(); !errors.Is(err, syscall.EACCES) {
			t.Fatalf("exec %s: %v, want EACCES", p, err)
		}
		var l Launcher
		err := l.CheckProgram(Spec{Argv: []string{p}, Env: []string{"PATH=/usr/bin:/bin"}})
		want := "exec " + p + `: its interpreter "` + c.interp + `": permission denied`
		if err == nil || err.Error() != want {
			t.Errorf("CheckProgram %s: %v, want %s", c.name, err, want)
		}
		// in the PATH too, passed over as execvp(3) passes over an EACCES
		err = l.CheckProgram(Spec{Argv: []string{c.name}, Env: []string{"PATH=" + dir}})
		if err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("CheckProgram %s in the PATH: %v, want permission denied", c.name, err)
		}
	}
}
