package sockets

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/internal/testkit"
	"github.com/cfk/cfk/messages"
)

// TestRunAsSocketClient is the client of TestUnixOwnerGroupMode, run as
// another user: it connects to SOCK_PATH and says how that went.
func TestRunAsSocketClient(t *testing.T) {
	if os.Getenv(testkit.RunAsEnv) == "" {
		t.Skip("run by TestUnixOwnerGroupMode")
	}
	c, err := net.DialTimeout("unix", os.Getenv("SOCK_PATH"), 10*time.Second)
	switch {
	case err == nil:
		c.Close()
		testkit.RunAsOutput("connected")
	case errors.Is(err, syscall.EACCES):
		testkit.RunAsOutput("permission denied")
	default:
		testkit.RunAsOutput(err.Error())
	}
}

// user, group and mode of a UNIX socket give its file that owner, group
// and permission bits before the listen (REFERENCE §1.2, §3): a user in
// the group connects, another uid does not. Before them the file was
// always cfkd's user's and group's, mode 0660: a root cfkd's socket was
// closed to nginx running as www-data.
func TestUnixOwnerGroupMode(t *testing.T) {
	testkit.RequireRoot(t)
	dir := shortDir(t)
	if err := os.Chmod(dir, 0o755); err != nil { // the clients must reach the file
		t.Fatal(err)
	}
	check := func(path string, uid, gid uint32, mode os.FileMode) {
		t.Helper()
		st, err := os.Lstat(path)
		if err != nil {
			t.Fatal(err)
		}
		sys := st.Sys().(*syscall.Stat_t)
		if st.Mode().Type() != os.ModeSocket || st.Mode().Perm() != mode || sys.Uid != uid || sys.Gid != gid {
			t.Fatalf("%s: %v uid %d gid %d, want a socket of mode %v, uid %d, gid %d",
				path, st.Mode(), sys.Uid, sys.Gid, mode, uid, gid)
		}
	}
	connectAs := func(path string, uid, gid uint32, want string) {
		t.Helper()
		if got := testkit.RunAs(t, uid, gid, "TestRunAsSocketClient", "SOCK_PATH="+path); got != want {
			t.Fatalf("as uid %d gid %d: %q, want %q", uid, gid, got, want)
		}
	}

	// the group by name: its members may connect, others may not
	grp := filepath.Join(dir, "grp.sock")
	mustBind(t, messages.SocketConfig{Name: "grp", Host: "unix/", Service: grp, Group: "nogroup", Mode: "0620"})
	check(grp, 0, 65534, 0o620)
	connectAs(grp, 65533, 65534, "connected")
	connectAs(grp, 65533, 65533, "permission denied")

	// the owner by name, the group by number
	own := filepath.Join(dir, "own.sock")
	mustBind(t, messages.SocketConfig{Name: "own", Host: "unix/", Service: own, User: "nobody", Group: "65534", Mode: "600"})
	check(own, 65534, 65534, 0o600)
	connectAs(own, 65534, 65534, "connected")
	connectAs(own, 65533, 65534, "permission denied")

	// none set: cfkd's user and group, 0660, as before
	def := filepath.Join(dir, "def.sock")
	mustBind(t, messages.SocketConfig{Name: "def", Host: "unix/", Service: def})
	check(def, 0, 0, UnixMode)
}

// Names are looked up at the bind, off the actor (needsLookup); an
// unknown one fails the bind, naming it, and leaves no file behind.
func TestUnixOwnerLookups(t *testing.T) {
	dir := shortDir(t)
	path := filepath.Join(dir, "u.sock")
	for _, tc := range []struct {
		cfg    messages.SocketConfig
		lookup bool
		err    string
	}{
		{messages.SocketConfig{User: "nosuchuser-cfk"}, true, `unknown user "nosuchuser-cfk"`},
		{messages.SocketConfig{Group: "nosuchgroup-cfk"}, true, `unknown group "nosuchgroup-cfk"`},
		{messages.SocketConfig{User: "0", Group: "0"}, false, ""},
		// chown's "unchanged": not an id, a name to look up (off the actor)
		{messages.SocketConfig{User: "4294967295"}, true, `unknown user "4294967295"`},
		{messages.SocketConfig{Mode: "0600"}, false, ""},
	} {
		cfg := tc.cfg
		cfg.Name, cfg.Host, cfg.Service = "u", "unix/", path
		if got := needsLookup(cfg); got != tc.lookup {
			t.Errorf("%+v: needsLookup %v, want %v", cfg, got, tc.lookup)
		}
		if tc.err == "" {
			continue
		}
		_, err := bindCfg(t, cfg)
		if err == nil || err.Error() != tc.err {
			t.Errorf("%+v: error %v, want %s", cfg, err, tc.err)
		}
		if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left after a failed bind: %v", path, err)
		}
	}
	if os.Geteuid() != 0 {
		// chown to another uid is root's: the bind fails, naming the path
		_, err := bindCfg(t, messages.SocketConfig{Name: "u", Host: "unix/", Service: path, User: "0"})
		if err == nil || !strings.HasPrefix(err.Error(), "chown: "+path+": ") {
			t.Errorf("chown as non-root: %v", err)
		}
	}
}

// The chown of user and group follows no symlink put in the socket
// file's place since the bind, as the chmod does: the file it names keeps
// its owner and mode, and the bind fails.
func TestUnixChownFollowsNoSymlink(t *testing.T) {
	dir := shortDir(t)
	path, victim := filepath.Join(dir, "u.sock"), filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	before, err := os.Stat(victim)
	if err != nil {
		t.Fatal(err)
	}
	swapped := false
	afterUnixBind = func(p string) {
		swapped = os.Remove(p) == nil && os.Symlink(victim, p) == nil
	}
	t.Cleanup(func() { afterUnixBind = func(string) {} })
	l, err := bindCfg(t, messages.SocketConfig{Name: "u", Host: "unix/", Service: path, User: "65534", Group: "65534"})
	if err == nil {
		l.Close()
	}
	if !swapped {
		t.Fatal("the socket file was not replaced by a symlink")
	}
	st, serr := os.Stat(victim)
	if serr != nil || st.Mode() != before.Mode() || st.Sys().(*syscall.Stat_t).Uid != before.Sys().(*syscall.Stat_t).Uid ||
		st.Sys().(*syscall.Stat_t).Gid != before.Sys().(*syscall.Stat_t).Gid {
		t.Fatalf("the file the symlink names changed: %v %v (the bind: %v)", st, serr, err)
	}
	if err == nil || !strings.Contains(err.Error(), "chown: "+path+" is no longer a socket (replaced since the bind)") {
		t.Errorf("error %v", err)
	}
}
