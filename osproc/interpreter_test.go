package osproc

import (
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"
)

// A script whose `#!` interpreter is not there is found by neither
// CheckProgram nor Launch: its execve would fail with ENOENT, which a
// restart's check let through before it stopped the process that ran
// (REFERENCE §2.7), and which read `exec app.sh: no such file or
// directory` of a script that is there.
// crlfSaid is what an interpreter's error adds of a name that ends with
// "\r", a script saved with CRLF line ends, whose error alone was
// puzzling of a /bin/sh that is there.
const crlfSaid = ` (its "#!" line ends with a carriage return, which the kernel keeps: the file was saved with CRLF line ends; save it with LF ones, as dos2unix does)`

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
		{crlf, "exec " + crlf + `: its interpreter "/bin/sh\r": no such file or directory` + crlfSaid},
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
	if err := l.CheckProgram(Spec{Argv: []string{"sh"}, Env: env}); err != nil {
		t.Errorf("CheckProgram sh: %v", err)
	}
}

// TestCheckProgramFIFO: a FIFO given as the program (mode 0755) is
// refused as execve(2) refuses it, EACCES, and the look-up does not open
// it to read a #! line, which would wait for a writer.
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
		// execve(2) refuses a file that is not regular (EACCES): the
		// check says so, where it let it through and a restart
		// stopped the process that ran
		if want := "exec " + p + ": permission denied"; err == nil || err.Error() != want {
			t.Fatalf("CheckProgram of a FIFO: %v, want %s", err, want)
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

// A dynamic ELF program whose loader (its PT_INTERP) is not there, as a
// program built against musl on a glibc host, is found by neither
// CheckProgram nor Launch: its execve fails with ENOENT as a script's
// does, which read `exec /srv/app: no such file or directory` of a
// program that is there, and which a restart's check let through before
// it stopped the process that ran (REFERENCE §2.7).
func TestCheckProgramELFInterpreter(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	text, err := os.ReadFile(sh)
	if err != nil {
		t.Skip(err)
	}
	ef, err := elf.NewFile(bytes.NewReader(text))
	if err != nil {
		t.Skipf("%s is not ELF: %v", sh, err)
	}
	var interp *elf.Prog
	for _, p := range ef.Progs {
		if p.Type == elf.PT_INTERP {
			interp = p
		}
	}
	const missing = "/no/such/ld-cfk.so"
	if interp == nil || interp.Filesz <= uint64(len(missing)) {
		t.Skipf("%s names no loader to replace", sh)
	}
	bad := slices.Clone(text)
	field := bad[interp.Off : interp.Off+interp.Filesz]
	clear(field)
	copy(field, missing)
	dir := t.TempDir()
	p := filepath.Join(dir, "app")
	if err := os.WriteFile(p, bad, 0o755); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "good")
	if err := os.WriteFile(good, text, 0o755); err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=" + dir + ":/usr/bin:/bin"}
	var l Launcher
	want := "exec " + p + `: its ELF interpreter "` + missing + `": no such file or directory`
	if err := l.CheckProgram(Spec{Argv: []string{p}, Env: env}); err == nil || err.Error() != want {
		t.Errorf("CheckProgram of a program whose loader is missing: %v, want %s", err, want)
	}
	want = "exec app: " + p + `: its ELF interpreter "` + missing + `": no such file or directory`
	if err := l.CheckProgram(Spec{Argv: []string{"app"}, Env: env}); err == nil || err.Error() != want {
		t.Errorf("CheckProgram of it in the PATH: %v, want %s", err, want)
	}
	if err := l.CheckProgram(Spec{Argv: []string{good}, Env: env}); err != nil {
		t.Errorf("a program whose loader is there: %v", err)
	}
}
