package osproc

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A file that is neither a `#!` script nor an ELF program fails its
// execve with ENOEXEC, and a `#!/usr/bin/env NAME` script whose NAME is
// in no PATH directory runs env, which exits 127: the restart's check
// (CheckProgram) passed both before it stopped the process that ran
// (REFERENCE §2.7).
func TestCheckProgramScripts(t *testing.T) {
	if _, err := os.Stat("/usr/bin/env"); err != nil {
		t.Skip("no /usr/bin/env")
	}
	old := binfmtDir
	binfmtDir = filepath.Join(t.TempDir(), "binfmt_misc") // not mounted
	t.Cleanup(func() { binfmtDir = old })
	dir, early := t.TempDir(), t.TempDir()
	write := func(d, name, text string) string { return writeMode(t, filepath.Join(d, name), text, 0o755) }
	plain := write(dir, "plain", "echo hi\n")
	empty := write(dir, "empty", "")
	write(early, "first", "echo no line\n")
	write(dir, "first", "#!/bin/sh\necho hi\n")
	missing := write(dir, "missing.py", "#!/usr/bin/env no-such-cfk-prog\nprint(1)\n")
	crlf := write(dir, "crlf.sh", "#!/usr/bin/env sh\r\necho hi\n")
	bom := write(dir, "bom.sh", "\xef\xbb\xbf#!/bin/sh\necho hi\n")
	write(dir, "cfk-own-tool", "#!/bin/sh\n")
	env := []string{"PATH=" + early + ":" + dir + ":/usr/bin:/bin"}
	var l Launcher
	bad := []struct{ argv0, want string }{
		{plain, "exec " + plain + `: exec format error (no "#!" line, and not an ELF program: a shell script needs "#!/bin/sh")`},
		{empty, "exec " + empty + ": exec format error (an empty file)"},
		// the "#!" a Windows editor shows after its byte order mark
		{bom, "exec " + bom + `: exec format error (a UTF-8 byte order mark before its "#!" line, which the kernel does not skip: save it without one)`},
		// execvp(3) runs the first it finds, and does not look further
		{"first", "exec first: " + filepath.Join(early, "first") + ": exec format error"},
		{missing, "exec " + missing + `: its interpreter "/usr/bin/env" "no-such-cfk-prog": executable file not found in PATH`},
		{crlf, "exec " + crlf + `: its interpreter "/usr/bin/env" "sh\r": executable file not found in PATH` + crlfSaid},
	}
	for _, c := range bad {
		err := l.CheckProgram(Spec{Argv: []string{c.argv0}, Env: env})
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("CheckProgram %s: %v, want %s", c.argv0, err, c.want)
		}
	}
	for _, text := range []string{
		"#!/usr/bin/env sh\n",
		"#!/usr/bin/env  sh  \n",        // blanks trimmed, as the kernel does
		"#!/usr/bin/env cfk-own-tool\n", // in the service's PATH
		"#!/usr/bin/env -S sh -e\n",     // an option: env's to read
		"#!/usr/bin/env A=1\n",
		"#!/usr/bin/env\n",
	} {
		p := write(dir, "good", text)
		if err := l.CheckProgram(Spec{Argv: []string{p}, Env: env}); err != nil {
			t.Errorf("%q: %v", text, err)
		}
	}
	// PATH set empty: env's execvp looks in the working directory
	p0 := write(dir, "emptypath", "#!/usr/bin/env cfk-own-tool\n")
	if err := l.CheckProgram(Spec{Argv: []string{p0}, Env: []string{"PATH="}, Dir: dir}); err != nil {
		t.Errorf("PATH empty, NAME in the working directory: %v", err)
	}
	// a service without PATH: env looks in its own default
	p := write(dir, "nopath", "#!/usr/bin/env sh\n")
	if err := l.CheckProgram(Spec{Argv: []string{p}, Env: []string{"A=1"}}); err != nil {
		t.Errorf("no PATH: %v", err)
	}
	// the launch refuses it alike, before it forks
	if _, err := tryStart(t, Spec{Argv: []string{plain}, Env: env}); err == nil || !strings.Contains(err.Error(), "exec format error") {
		t.Errorf("Launch of a file without #!: %v", err)
	}
}

// A format binfmt_misc runs (by magic or by extension) is the exec's.
func TestBinfmtMiscFormats(t *testing.T) {
	old := binfmtDir
	binfmtDir = t.TempDir()
	t.Cleanup(func() { binfmtDir = old })
	put := func(name, text string) {
		if err := os.WriteFile(filepath.Join(binfmtDir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	exe := filepath.Join(dir, "app.exe")
	if err := os.WriteFile(exe, []byte("MZ\x90\x00rest"), 0o755); err != nil {
		t.Fatal(err)
	}
	jar := filepath.Join(dir, "tool.jar")
	if err := os.WriteFile(jar, []byte("PK\x03\x04"), 0o755); err != nil {
		t.Fatal(err)
	}
	check := func(p string) error {
		var l Launcher
		return l.CheckProgram(Spec{Argv: []string{p}, Env: []string{"PATH=/usr/bin:/bin"}})
	}
	// binfmt_misc not mounted (a container): the host's formats may run
	// a binary file; a text one has none
	binfmtDir = filepath.Join(t.TempDir(), "absent")
	if err := check(exe); err != nil {
		t.Errorf("MZ, binfmt_misc not mounted: %v", err)
	}
	text := filepath.Join(dir, "script")
	if err := os.WriteFile(text, []byte("echo hi\r\n\tls\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := check(text); err == nil {
		t.Error("a text file without #!, binfmt_misc not mounted: no error")
	}
	binfmtDir = t.TempDir()
	put("status", "enabled\n")
	put("register", "")
	put("wine", "enabled\ninterpreter /usr/bin/wine\nflags: \noffset 0\nmagic 4d5a\n")
	put("jar", "disabled\ninterpreter /usr/bin/jexec\nflags: \nextension .jar\n")
	if err := check(exe); err != nil {
		t.Errorf("MZ, with a format of that magic: %v", err)
	}
	if err := check(jar); err == nil {
		t.Error(".jar, with its format disabled: no error")
	}
	put("jar", "enabled\ninterpreter /usr/bin/jexec\nflags: \nextension .jar\n")
	if err := check(jar); err != nil {
		t.Errorf(".jar, with a format of that extension: %v", err)
	}
	// masked: the second byte's low bits ignored
	put("wine", "enabled\ninterpreter /usr/bin/wine\nflags: \noffset 1\nmagic 5a80\nmask ff80\n")
	if err := check(exe); err != nil {
		t.Errorf("MZ, by a masked magic at offset 1: %v", err)
	}
	// the kernel compares the bits of the mask alone, (byte ^ magic) &
	// mask: a magic's bits outside its mask, as written at its register,
	// are not compared
	put("wine", "enabled\ninterpreter /usr/bin/wine\nflags: \noffset 1\nmagic 5a91\nmask ff80\n")
	if err := check(exe); err != nil {
		t.Errorf("MZ, by a masked magic with bits outside its mask: %v", err)
	}
	put("wine", "enabled\ninterpreter /usr/bin/wine\nflags: \noffset 0\nmagic 7f454c46\n")
	if err := check(exe); err == nil {
		t.Error("MZ, with no format of that magic: no error")
	}
	put("status", "disabled\n")
	if err := check(jar); err == nil {
		t.Error("binfmt_misc disabled: no error")
	}
}

// A file that would fail its execve (no "#!" line; a `#!/usr/bin/env
// NAME` of a NAME nowhere) in a directory of the PATH that the service's
// user cannot search is passed over, as execvp(3) in the child passes
// over it (EACCES, REFERENCE §2.4): read by cfkd, it stopped the look-up,
// and the start failed with `exec format error` where the next in the
// PATH would have served.
func TestLookPathPassesOverAFailureTheUserCannotReach(t *testing.T) {
	old := binfmtDir
	binfmtDir = filepath.Join(t.TempDir(), "binfmt_misc") // not mounted
	t.Cleanup(func() { binfmtDir = old })
	top, priv := modeBitsDirs(t, "priv")
	pub := pubProg(t, top, "#!/bin/sh\n")
	env := []string{"PATH=" + priv + ":" + pub}
	other := &syscall.Credential{Uid: 54321, Gid: 54321}
	for _, text := range []string{"echo no line\n", "#!/usr/bin/env no-such-cfk-prog\n"} {
		if err := os.WriteFile(filepath.Join(priv, "prog"), []byte(text), 0o755); err != nil {
			t.Fatal(err)
		}
		if got, _, err := lookPath("prog", env, "", other); err != nil || got != filepath.Join(pub, "prog") {
			t.Errorf("%q where the user cannot reach it: lookPath = %q, %v; want %q", text, got, err, filepath.Join(pub, "prog"))
		}
		if _, _, err := lookPath("prog", env, "", nil); err == nil {
			t.Errorf("%q, as cfkd's identity: no error", text)
		}
	}
}

// A program whose first bytes cannot be read (EIO: /proc/self/mem, a
// regular file whose offset 0 is no mapping; a failing disk) is left to
// the exec: it was refused "exec format error (an empty file)".
func TestInterpreterUnreadableLeftToTheExec(t *testing.T) {
	const p = "/proc/self/mem"
	f, err := os.Open(p)
	if err != nil {
		t.Skip(err)
	}
	_, err = f.Read(make([]byte, 1))
	f.Close()
	if !errors.Is(err, syscall.EIO) {
		t.Skipf("read %s: %v, want EIO", p, err)
	}
	if _, err := interpreter(p, nil, nil, ""); err != nil {
		t.Errorf("interpreter(%s) = %v; want nil (left to the exec)", p, err)
	}
}

// A look-up of a `#!/usr/bin/env NAME` script with the PATH inherited
// (env's own default searched too: envTarget) and one with the same PATH
// set by the service are not one: the cache gave the second the first's
// success, and a restart passed a script whose env would exit 127.
func TestPathCacheTellsASetPATHFromAnInherited(t *testing.T) {
	if _, err := os.Stat("/usr/bin/true"); err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "cfkscript"), []byte("#!/usr/bin/env true\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir) // cfkd's, inherited by a service that sets none
	var c pathCache
	if _, _, err := c.lookup("cfkscript", nil, "", nil); err != nil {
		t.Fatalf("inherited PATH: %v; want found (env's default has true)", err)
	}
	_, cached, err := c.lookup("cfkscript", []string{"PATH=" + dir}, "", nil)
	if err == nil || !strings.Contains(err.Error(), "executable file not found in PATH") {
		t.Errorf("PATH set to %s: err %v (cached %v); want true not found in PATH", dir, err, cached)
	}
}
