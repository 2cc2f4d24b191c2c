package osproc

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// A script whose `#!` interpreter is not there is found by neither
// CheckProgram nor Launch: its execve would fail with ENOENT, which a
// restart's check let through before it stopped the process that ran
// (REFERENCE §2.7), and which read `exec app.sh: no such file or
// directory` of a script that is there.
func TestCheckProgramInterpreter(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	bad := write("bad.sh", "#!/no/such/interp-cfk -x\nexit 0\n")
	crlf := write("crlf.sh", "#!/bin/sh\r\nexit 0\n")
	good := write("good.sh", "#! /bin/sh\nexit 0\n")
	write("inpath", "#!/no/such/interp-cfk\nexit 0\n")
	env := []string{"PATH=" + dir + ":/usr/bin:/bin"}
	var l Launcher
	for _, c := range []struct {
		argv0, want string
	}{
		{bad, "exec " + bad + `: its interpreter "/no/such/interp-cfk": no such file or directory`},
		{crlf, "exec " + crlf + `: its interpreter "/bin/sh\r": no such file or directory`},
		{"inpath", "exec inpath: " + filepath.Join(dir, "inpath") + `: its interpreter "/no/such/interp-cfk": no such file or directory`},
	} {
		err := l.CheckProgram(Spec{Argv: []string{c.argv0}, Env: env})
		if err == nil || err.Error() != c.want {
			t.Errorf("CheckProgram %s: %v, want %s", c.argv0, err, c.want)
		}
	}
	if err := l.CheckProgram(Spec{Argv: []string{good}, Env: env}); err != nil {
		t.Errorf("a script whose interpreter is there: %v", err)
	}
	// a script with no #! line (the exec tells), and a binary
	write("plain", "exit 0\n")
	for _, argv0 := range []string{"plain", "sh"} {
		if err := l.CheckProgram(Spec{Argv: []string{argv0}, Env: env}); err != nil {
			t.Errorf("CheckProgram %s: %v", argv0, err)
		}
	}
}

// TestCheckProgramFIFO: a FIFO given as the program (mode 0755) is the
// exec's to refuse: the look-up of its #! line does not open it, which
// would wait for a writer.
func TestCheckProgramFIFO(t *testing.T) {
	p := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(p, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o755); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		var l Launcher
		done <- l.CheckProgram(Spec{Argv: []string{p}, Env: []string{"PATH=/usr/bin:/bin"}})
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("CheckProgram of a FIFO: %v", err)
		}
	case <-time.After(10 * time.Second):
		// the look-up waits for a writer: give it one, so that its
		// goroutine ends with the test
		if f, err := os.OpenFile(p, os.O_WRONLY, 0); err == nil {
			f.Close()
		}
		t.Fatal("CheckProgram of a FIFO still waits after 10s")
	}
}
