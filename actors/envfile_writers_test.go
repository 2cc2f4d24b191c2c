package actors

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// An env_file's lines are the environment of the service's processes: a
// user who may change them chooses what those run (LD_PRELOAD), as the
// user they run as. A file of another user's, or one that others or a
// group not root's may write, on a path only root may change, was read
// into a root service's environment (REFERENCE §2.4): it is refused, as
// -c's would be (§7.2); the service's own user's file is read.
func TestEnvFileOthersMayChangeRefused(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: files of another user's")
	}
	const nobody = 65534
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	file := func(name string, mode os.FileMode, uid, gid int) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("LD_PRELOAD=/tmp/evil.so\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(p, uid, gid); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	theirs := file("theirs.env", 0o644, nobody, nobody)
	world := file("world.env", 0o666, 0, 0)
	group := file("group.env", 0o664, 0, nobody)
	rootGroup := file("rootgroup.env", 0o664, 0, 0)
	own := file("own.env", 0o600, 0, 0)
	cases := []struct {
		name string
		uid  int
		want string // the error; "" for read
	}{
		{theirs, 0, "env_file " + theirs + ": not read: it is owned by uid 65534: uid 65534 could choose the environment of the service's processes " +
			"(LD_PRELOAD: what they run, as uid 0): an env_file must be root's, cfkd's user's or the service's user's, and writable by no one else (chown 0 " + theirs + ")"},
		{theirs, nobody, ""}, // the service's user's own
		{world, 0, "it is writable by others (mode 0666): any user could choose"},
		{world, nobody, "(chmod go-w " + world + ")"},
		{group, 0, "it is writable by the members of group 65534 (mode 0664): the members of group 65534 could choose"},
		{rootGroup, 0, ""},
		{own, nobody, ""}, // root's, read for any service (systemd's EnvironmentFile=)
		{"/dev/null", 0, ""},
	}
	for _, c := range cases {
		done := make(chan error, 1)
		go func() { _, err := readEnvFile(c.name, "", c.uid); done <- err }()
		var err error
		select {
		case err = <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("readEnvFile(%s) did not return in 10s", c.name)
		}
		switch {
		case c.want == "" && err != nil:
			t.Errorf("readEnvFile(%s, uid %d): %v, want it read", c.name, c.uid, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("readEnvFile(%s, uid %d): %v, want an error with %q", c.name, c.uid, err, c.want)
		}
	}
}
