package osproc

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// REFERENCE §2.1: a `cwd` that does not exist is a start that failed,
// `Service 'NAME' failed to start: REASON`. REASON must say what is wrong:
// the directory, not the program. It said `exec sleep: no such file or
// directory`, sending the user after a `sleep` that is there, as systemd's
// "Changing to the requested working directory failed" or supervisord's
// "couldn't chdir to DIR" do not.
func TestMissingCwdErrorNamesTheDirectory(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "gone")
	for _, argv := range [][]string{{"sleep", "5"}, {"/bin/sleep", "5"}} {
		c, err := tryStart(t, Spec{Argv: argv, Env: os.Environ(), Dir: dir})
		if err == nil {
			t.Fatalf("%q in %s: started as pid %d", argv, dir, c.Pid)
		}
		if want := "cwd " + dir + ": no such file or directory"; err.Error() != want {
			t.Errorf("%q in a missing cwd: error %q does not name the directory %s", argv, err, dir)
		}
	}
}

// The child enters its cwd after it took its user's identity: a cwd that
// cfkd (root) can enter and the service's user cannot (`user=nobody
// cwd=/root`) made the start fail with `exec sleep: permission denied`,
// blaming a `sleep` that anyone may run.
func TestUnenterableCwdErrorNamesTheDirectory(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root, to run as another user")
	}
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "private")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	cred := &syscall.Credential{Uid: 65534, Gid: 65534, NoSetGroups: true}
	c, err := tryStart(t, Spec{Argv: []string{"/bin/sleep", "5"}, Env: os.Environ(), Dir: dir, Credential: cred})
	if err == nil {
		t.Fatalf("started as uid 65534 in %s (mode 0700, root's): pid %d", dir, c.Pid)
	}
	if want := "cwd " + dir + ": permission denied"; err.Error() != want {
		t.Errorf("a cwd uid 65534 cannot enter: error %q, want %q", err, want)
	}
}
