package daemon

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/cfk/cfk/fleet"
	"github.com/sirupsen/logrus"
)

// The hubs a former cfkd told it was leaving cross the upgrade's exec in
// fleetHubsEnv, which the new cfkd reads and unsets (no service inherits
// it), and which an exec sets anew each time.
func TestFleetHubsCrossTheExec(t *testing.T) {
	env := withFleetHubs([]string{"A=1", fleetHubsEnv + "=10.0.0.9:7000"}, []string{"10.0.0.1:7000", "10.0.0.2:7000"})
	if want := []string{"A=1", fleetHubsEnv + "=10.0.0.1:7000,10.0.0.2:7000"}; !slices.Equal(env, want) {
		t.Fatalf("env %q, want %q", env, want)
	}
	if env := withFleetHubs([]string{fleetHubsEnv + "=x"}, nil); len(env) != 0 {
		t.Fatalf("no hub told: env %q", env)
	}
	t.Setenv(fleetHubsEnv, "10.0.0.1:7000,10.0.0.2:7000")
	if got := fleetHubsFromEnv(); !slices.Equal(got, []string{"10.0.0.1:7000", "10.0.0.2:7000"}) {
		t.Fatalf("read %q", got)
	}
	if _, ok := os.LookupEnv(fleetHubsEnv); ok {
		t.Fatal("left in cfkd's environment, for its services")
	}
	if got := fleetHubsFromEnv(); got != nil {
		t.Fatalf("read again: %q", got)
	}
}

// hubsLog is a logger whose records a test reads.
func hubsLog() (*logrus.Logger, *bytes.Buffer) {
	var b bytes.Buffer
	log := logrus.New()
	log.SetOutput(&b)
	return log, &b
}

// The hubs a cfkd told at its shutdown are in HOME/fleet.hubs, mode
// 0600, which the next start reads once and removes; none told leaves no
// file.
func TestFleetHubsFileRoundTrip(t *testing.T) {
	home := t.TempDir()
	log, out := hubsLog()
	saveFleetHubs(home, []string{"127.0.0.1:7000", "hub.example.org:7001", "[::1]:7002"}, log)
	p := filepath.Join(home, fleetHubsFile)
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if m := fi.Mode().Perm(); m != 0o600 {
		t.Errorf("mode %04o, want 0600", m)
	}
	got := takeFleetHubs(home, log)
	if want := []string{"127.0.0.1:7000", "hub.example.org:7001", "[::1]:7002"}; !slices.Equal(got, want) {
		t.Fatalf("read %q, want %q", got, want)
	}
	if _, err := os.Lstat(p); !os.IsNotExist(err) {
		t.Fatalf("left after it was read: %v", err)
	}
	if got := takeFleetHubs(home, log); got != nil {
		t.Fatalf("read again: %q", got)
	}
	if entries, _ := os.ReadDir(home); len(entries) != 0 {
		t.Fatalf("left in the home: %v", entries)
	}
	saveFleetHubs(home, []string{"127.0.0.1:7000"}, log)
	saveFleetHubs(home, nil, log) // a later shutdown that told none
	if _, err := os.Lstat(p); !os.IsNotExist(err) {
		t.Fatalf("a shutdown that told no hub left the file: %v", err)
	}
	if out.Len() != 0 {
		t.Errorf("logged:\n%s", out)
	}
}

// A fleet.hubs that is corrupt, unsafe or not a file is logged once and
// ignored, and removed (a file, a symlink): cfkd starts all the same and
// tells no hub; it never dials what a file it did not write names.
func TestFleetHubsFileCorrupt(t *testing.T) {
	for _, c := range []struct {
		name string
		make func(p string) error
		want string
	}{
		{"garbage", func(p string) error { return os.WriteFile(p, []byte("\x00\x1b[2Jgarbage\n"), 0o600) }, `x00\x1b[2Jgarbage: not HOST:PORT`},
		{"a bad port", func(p string) error { return os.WriteFile(p, []byte("127.0.0.1:7000\n127.0.0.1:99999\n"), 0o600) }, "line 2, 127.0.0.1:99999: not a port"},
		{"a bad host", func(p string) error { return os.WriteFile(p, []byte("evil host:7000\n"), 0o600) }, "line 1, evil host:7000: not an IP address nor a DNS name"},
		{"empty", func(p string) error { return os.WriteFile(p, nil, 0o600) }, "empty"},
		{"a blank line", func(p string) error { return os.WriteFile(p, []byte("127.0.0.1:7000\n\n"), 0o600) }, "line 2, : not HOST:PORT"},
		{"too long", func(p string) error {
			return os.WriteFile(p, bytes.Repeat([]byte("127.0.0.1:7000\n"), maxFleetHubsBytes), 0o600)
		}, "longer than"},
		{"too many", func(p string) error {
			var b strings.Builder
			for i := range fleet.MaxRejoinHubs + 1 {
				fmt.Fprintf(&b, "127.0.0.1:%d\n", 7000+i)
			}
			return os.WriteFile(p, []byte(b.String()), 0o600)
		}, "65 addresses, more than 64"},
		{"readable by others", func(p string) error { return os.WriteFile(p, []byte("127.0.0.1:7000\n"), 0o644) }, "mode 0644"},
		{"a symlink", func(p string) error {
			target := filepath.Join(filepath.Dir(p), "target")
			if err := os.WriteFile(target, []byte("127.0.0.1:7000\n"), 0o600); err != nil {
				return err
			}
			return os.Symlink(target, p)
		}, "ignored: a symlink, not the file cfkd writes: not followed"},
		{"a FIFO", func(p string) error { return syscall.Mkfifo(p, 0o600) }, "not a regular file (a FIFO)"},
		{"a socket", func(p string) error {
			l, err := net.Listen("unix", p)
			if err == nil {
				l.(*net.UnixListener).SetUnlinkOnClose(false)
				l.Close()
			}
			return err
		}, "not a regular file (a socket)"},
		{"a device", func(p string) error {
			return syscall.Mknod(p, syscall.S_IFCHR|0o600, 1<<8|3) // /dev/null's
		}, "not a regular file (a character device)"},
		{"another user's", func(p string) error {
			if err := os.WriteFile(p, []byte("127.0.0.1:7000\n"), 0o600); err != nil {
				return err
			}
			return os.Chown(p, 4242, 4242)
		}, fmt.Sprintf("owned by uid 4242, not by cfkd's user (uid %d), who wrote it", os.Geteuid())},
	} {
		t.Run(c.name, func(t *testing.T) {
			home := t.TempDir()
			p := filepath.Join(home, fleetHubsFile)
			if (c.name == "a device" || c.name == "another user's") && os.Geteuid() != 0 {
				t.Skip("mknod and chown need root")
			}
			if err := c.make(p); err != nil {
				t.Fatal(err)
			}
			if c.name == "readable by others" {
				os.Chmod(p, 0o644) // whatever the umask
			}
			log, out := hubsLog()
			if got := takeFleetHubs(home, log); got != nil {
				t.Fatalf("read %q from a bad file", got)
			}
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], "level=warning") || !strings.Contains(out.String(), c.want) ||
				!strings.Contains(out.String(), p+" ignored: ") {
				t.Errorf("logged:\n%s\nwant one warning: %s ignored: ...%s...", out, p, c.want)
			}
			if strings.ContainsAny(out.String(), "\x00\x1b") {
				t.Errorf("logged raw: %q", out)
			}
			if _, err := os.Lstat(p); !os.IsNotExist(err) {
				t.Errorf("left: %v", err)
			}
			if c.name == "a symlink" { // the link went, not its target
				if _, err := os.Stat(filepath.Join(home, "target")); err != nil {
					t.Errorf("the symlink's target: %v", err)
				}
			}
			out.Reset()
			if got := takeFleetHubs(home, log); got != nil || out.Len() != 0 {
				t.Errorf("the next start read %q, logged %q", got, out)
			}
		})
	}
}

// A directory at HOME/fleet.hubs, which cfkd did not make, is never
// removed (it may hold someone's files): each start says, in one warning,
// that it is ignored, where it is and what to do, and each shutdown that
// told hubs that they cannot be written there; one that told none says
// nothing (the next start says it). It said 'not a regular file
// (d---------)' at each start, the shutdown 'rename ...: file exists',
// and a shutdown that told no hub removed it when empty.
func TestFleetHubsDirectoryIsSaidAndKept(t *testing.T) {
	home := t.TempDir()
	p := filepath.Join(home, fleetHubsFile)
	if err := os.Mkdir(p, 0o700); err != nil {
		t.Fatal(err)
	}
	want := p + " ignored: a directory, where cfkd writes a file at its shutdown, and not removed: remove it (rm -r " + p + ")"
	for start := range 2 {
		log, out := hubsLog()
		if got := takeFleetHubs(home, log); got != nil {
			t.Fatalf("start %d: read %q from a directory", start+1, got)
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if len(lines) != 1 || !strings.Contains(lines[0], "level=warning") || !strings.Contains(lines[0], want) {
			t.Errorf("start %d logged:\n%s\nwant one warning: %s...", start+1, out, want)
		}
		if fi, err := os.Lstat(p); err != nil || !fi.IsDir() {
			t.Fatalf("start %d: the directory: %v", start+1, err)
		}
	}
	log, out := hubsLog()
	saveFleetHubs(home, nil, log)
	if out.Len() != 0 {
		t.Errorf("a shutdown that told no hub logged:\n%s", out)
	}
	saveFleetHubs(home, []string{"127.0.0.1:7000"}, log)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if want := p + " not written: a directory, where cfkd writes a file at its shutdown, and not removed: remove it (rm -r " + p + ")"; len(lines) != 1 || !strings.Contains(lines[0], want) {
		t.Errorf("a shutdown that told a hub logged:\n%s\nwant one warning: %s...", out, want)
	}
	if fi, err := os.Lstat(p); err != nil || !fi.IsDir() {
		t.Fatalf("the directory after the shutdowns: %v", err)
	}
	if entries, _ := os.ReadDir(home); len(entries) != 1 {
		t.Errorf("the home holds %v, the directory alone before", entries)
	}
}

// A rollback passes on the hubs the former cfkd told it was leaving
// (REFERENCE §13.4): the cfkd rolled back to tells them it is back. They
// were dropped with the variable, which the cfkd that failed unset at
// its start, and the hubs kept the host down as being upgraded until
// their next try, --fleet-timeout later, its events meanwhile lost.
func TestRollbackPassesTheHubsOn(t *testing.T) {
	f := Flags{fleetHubs: []string{"127.0.0.2:7000", "127.0.0.3:7000"}}
	env := rollbackEnvOf("/tmp/state", f, errors.New("it failed"))
	want := fleetHubsEnv + "=127.0.0.2:7000,127.0.0.3:7000"
	if !slices.Contains(env, want) {
		t.Fatalf("the rollback's environment has no %s", want)
	}
}
