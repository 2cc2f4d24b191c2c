package osproc

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestLookPathAsTheServiceUser: a command without a slash is found in the
// PATH as execvp(3) in the child finds it, as the service's user: a
// directory of the PATH that user cannot search (root's /root/.pyenv/shims
// before /usr/bin) is passed over, where cfkd found the file there and the
// start failed 'exec python3: permission denied' (REFERENCE §2.4).
func TestLookPathAsTheServiceUser(t *testing.T) {
	top := t.TempDir()
	// the test's own directories are 0700: let others search down to top
	for _, d := range []string{filepath.Dir(top), top} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	priv, pub := filepath.Join(top, "priv"), filepath.Join(top, "pub")
	for d, mode := range map[string]os.FileMode{priv: 0o700, pub: 0o755} {
		if err := os.Mkdir(d, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d, mode); err != nil { // whatever the umask
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "prog"), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{"PATH=" + priv + ":" + pub}
	other := &syscall.Credential{Uid: 54321, Gid: 54321}
	if os.Getuid() == 54321 {
		t.Skip("runs as the uid it takes for another user")
	}
	for _, c := range []struct {
		name string
		cred *syscall.Credential
		want string
	}{
		{"cfkd's identity", nil, filepath.Join(priv, "prog")},
		{"root", &syscall.Credential{Uid: 0, Gid: 5}, filepath.Join(priv, "prog")},
		{"another user", other, filepath.Join(pub, "prog")},
	} {
		got, _, err := lookPath("prog", env, "", c.cred)
		if err != nil || got != c.want {
			t.Errorf("%s: lookPath = %q, %v; want %q", c.name, got, err, c.want)
		}
	}
	// none that user may execute: execvp(3)'s EACCES, naming the first
	// (where cfkd reads no ACL, one may grant it: the first cfkd may is
	// taken, the exec says)
	if err := os.Chmod(filepath.Join(pub, "prog"), 0o700); err != nil {
		t.Fatal(err)
	}
	got, _, err := lookPath("prog", env, "", other)
	if want := "exec prog: " + filepath.Join(priv, "prog") + ": permission denied"; !aclsUnread && (err == nil || err.Error() != want) {
		t.Errorf("none for that user: lookPath = %q, %v; want %s", got, err, want)
	}
	if aclsUnread && (err != nil || got != filepath.Join(priv, "prog")) {
		t.Errorf("none for that user: lookPath = %q, %v; want the first", got, err)
	}
	// the cache keeps one answer per identity
	var c pathCache
	if got, _, _ := c.lookup("prog", []string{"PATH=" + pub + ":" + priv}, "", nil); got != filepath.Join(pub, "prog") {
		t.Errorf("cache, cfkd's: %q", got)
	}
	if err := os.Chmod(filepath.Join(pub, "prog"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := c.lookup("prog", env, "", other); got != filepath.Join(pub, "prog") {
		t.Errorf("cache, another user: %q", got)
	}
	if got, cached, _ := c.lookup("prog", env, "", nil); got != filepath.Join(priv, "prog") || cached {
		t.Errorf("cache, cfkd's after another user's: %q (cached %v)", got, cached)
	}
}

// TestLookPathSlashAsTheServiceUser: a command named by its path is
// checked as the service's user execs it: a file that user may not
// execute by the mode bits (no x bit for it, or in a directory it cannot
// search) is refused, 'exec PATH: permission denied', where the check of
// a restart passed it, stopped the process that ran, and the launch then
// failed with that error (REFERENCE §2.7). cfkd's own identity and root
// may.
func TestLookPathSlashAsTheServiceUser(t *testing.T) {
	top, priv := modeBitsDirs(t, "priv")
	inPriv := writeMode(t, filepath.Join(priv, "prog"), "#!/bin/sh\n", 0o755)
	ownerOnly := writeMode(t, filepath.Join(top, "own"), "#!/bin/sh\n", 0o700)
	open := writeMode(t, filepath.Join(top, "open"), "#!/bin/sh\n", 0o755)
	other := &syscall.Credential{Uid: 54321, Gid: 54321}
	for _, p := range []string{inPriv, ownerOnly} {
		if got, _, err := lookPath(p, nil, "", other); err == nil || err.Error() != "exec "+p+": permission denied" {
			t.Errorf("another user, %s: lookPath = %q, %v; want permission denied", p, got, err)
		}
		for _, cred := range []*syscall.Credential{nil, {Uid: 0, Gid: 5}} {
			if got, _, err := lookPath(p, nil, "", cred); err != nil || got != p {
				t.Errorf("%v, %s: lookPath = %q, %v", cred, p, got, err)
			}
		}
	}
	if got, _, err := lookPath(open, nil, "", other); err != nil || got != open {
		t.Errorf("another user, %s: lookPath = %q, %v", open, got, err)
	}
}

// TestLookPathInterpreterAsTheServiceUser: a script whose `#!`
// interpreter the service's user may not execute (a virtualenv's python
// under root's 0700 home) is refused, 'exec PATH: its interpreter
// "...": permission denied', as its execve would fail with EACCES after
// a restart's check stopped the process that ran (REFERENCE §2.7).
func TestLookPathInterpreterAsTheServiceUser(t *testing.T) {
	top, priv := modeBitsDirs(t, "venv")
	interp := writeMode(t, filepath.Join(priv, "python"), "#!/bin/sh\n", 0o755)
	script := writeMode(t, filepath.Join(top, "app"), "#!"+interp+"\n", 0o755)
	other := &syscall.Credential{Uid: 54321, Gid: 54321}
	want := "exec " + script + `: its interpreter "` + interp + `": permission denied`
	if got, _, err := lookPath(script, nil, "", other); err == nil || err.Error() != want {
		t.Errorf("another user: lookPath = %q, %v; want %s", got, err, want)
	}
	if got, _, err := lookPath(script, nil, "", nil); err != nil || got != script {
		t.Errorf("cfkd's identity: lookPath = %q, %v", got, err)
	}
}

// modeBitsDirs makes a directory top that anyone may search, and in it a
// directory named priv that only its owner may: the tests of the mode
// bits as uid 54321 sees them (skipped where an ACL may say otherwise,
// or when the test runs as that uid).
func modeBitsDirs(t *testing.T, priv string) (top, privDir string) {
	t.Helper()
	if os.Getuid() == 54321 {
		t.Skip("runs as the uid it takes for another user")
	}
	top = t.TempDir()
	for _, d := range []string{filepath.Dir(top), top} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if aclNear(top) {
		t.Skip("the test's directory may carry ACLs: the mode bits do not tell")
	}
	privDir = filepath.Join(top, priv)
	if err := os.Mkdir(privDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(privDir, 0o700); err != nil { // whatever the umask
		t.Fatal(err)
	}
	return top, privDir
}

// pubProg makes the directory pub in top, that anyone may search, and in
// it the program prog of text (mode 0755): the PATH's next after a
// directory of modeBitsDirs. It returns pub.
func pubProg(t *testing.T, top, text string) string {
	t.Helper()
	pub := filepath.Join(top, "pub")
	if err := os.Mkdir(pub, 0o755); err != nil {
		t.Fatal(err)
	}
	writeMode(t, filepath.Join(pub, "prog"), text, 0o755)
	return pub
}

// writeMode writes text to p with mode, whatever the umask.
func writeMode(t *testing.T, p, text string, mode os.FileMode) string {
	t.Helper()
	if err := os.WriteFile(p, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}
