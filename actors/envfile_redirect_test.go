package actors

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
)

// An env_file on a path the service's user may redirect is read only when
// it leads to a regular file of that user's (REFERENCE §2.4): nobody, as
// which a service ran with env_file in a directory of nobody's, swapped
// the file for a symlink to a file only root reads and crashed its
// service: its next start had the file's KEY=VALUE lines in its
// environment, and the first other line in last_error, which any local
// user reads on the status page. A file only root reads on a path only
// root may change is read, as before (systemd's EnvironmentFile=).
func TestEnvFileRedirectedByTheServiceUserRefused(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: files of another user's")
	}
	const nobody = 65534
	top := t.TempDir()
	secret := filepath.Join(top, "secret.env")
	if err := os.WriteFile(secret, []byte("root:$6$hash:19000::\nDB_PASSWORD=root-only\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rootOnly := filepath.Join(top, "root-only.env")
	if err := os.WriteFile(rootOnly, []byte("DB_PASSWORD=root-only\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(top, 0o755); err != nil {
		t.Fatal(err)
	}
	app := filepath.Join(top, "app") // the service user's own directory
	if err := os.Mkdir(app, 0o755); err != nil {
		t.Fatal(err)
	}
	theirs := filepath.Join(app, "theirs.env")
	if err := os.WriteFile(theirs, []byte("APP=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(app, "app.env")
	if err := os.Symlink(secret, link); err != nil {
		t.Fatal(err)
	}
	ownLink := filepath.Join(app, "own.env")
	if err := os.Symlink(theirs, ownLink); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(app, "fifo.env")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{app, theirs, link, ownLink, fifo} {
		if err := os.Lchown(p, nobody, nobody); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name, cwd string
		uid       int
		want      string // the error; "" for read
	}{
		{link, "", nobody, "env_file " + link + ": not read: " + app + " is owned by uid 65534, so uid 65534 may make that path lead to any file: " +
			"through it, cfkd reads only a regular file of the service's user (uid 65534), and this is a file of uid 0"},
		{"app.env", app, nobody, "and this is a file of uid 0"}, // relative to cwd
		{fifo, "", nobody, "and this is not a regular file"},
		{theirs, "", 0, "and this is a file of uid 65534"}, // nobody's lines in root's service
		{theirs, "", nobody, ""},
		{ownLink, "", nobody, ""},
		{rootOnly, "", nobody, ""}, // a path only root may change: read as before
	}
	for _, c := range cases {
		err := readEnvFileWithin(t, c.name, c.cwd, c.uid, 10*time.Second)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("readEnvFile(%s, uid %d): %v, want it read", c.name, c.uid, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("readEnvFile(%s, uid %d): %v, want an error with %q", c.name, c.uid, err, c.want)
		case err != nil && strings.Contains(err.Error(), "hash"):
			t.Errorf("readEnvFile(%s, uid %d) quotes the file: %v", c.name, c.uid, err)
		}
	}
}

// Under a proxy, user= is ignored (REFERENCE §1.1): the proxy runs the
// service as its own user, cfkd's, and the start line carries no
// identity. The env_file of `user=app` on a path app may change was read
// when it was app's, so app set LD_PRELOAD, say, for a process that ran
// as root: it is read only when it is a file of cfkd's user, as without
// user=.
func TestProxiedEnvFileIsCfkdsUsers(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: files of another user's")
	}
	const nobody = 65534
	app := filepath.Join(t.TempDir(), "app")
	if err := os.Mkdir(app, 0o755); err != nil {
		t.Fatal(err)
	}
	env := filepath.Join(app, "app.env")
	if err := os.WriteFile(env, []byte("LD_PRELOAD=/tmp/app.so\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{app, env} {
		if err := os.Lchown(p, nobody, nobody); err != nil {
			t.Fatal(err)
		}
	}
	o := Options{Credential: func(user, group string) (*syscall.Credential, error) {
		return &syscall.Credential{Uid: nobody, Gid: nobody}, nil
	}}.withDefaults() // its bounds (PathTimeout) and their Flights
	opts := &o
	c := &messages.ServiceConfig{Name: "s", Proxy: "px", User: "app", EnvFile: env}
	cred, vars, err := runIdentity(c, false, opts)
	if err == nil || !strings.Contains(err.Error(), "a regular file of the service's user (uid 0)") {
		t.Errorf("runIdentity of a proxied user=app, env_file of app's in app's directory: %v, %v, %v; want it refused (the process runs as uid 0)", cred, vars, err)
	}
}
