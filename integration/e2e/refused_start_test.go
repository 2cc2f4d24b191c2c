package e2e

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// A start refused leaves nothing it made (REFERENCE §7.4, §5.2): a cfkd
// not run as root, given --admin-group of a group its user is not in, is
// refused before it makes its home, its log or log.config; refused later
// (a busy --http address), it removes them. A home that was there stays,
// with what was in it. Run as nobody, as a user's own cfkd runs.
func TestRefusedStartLeavesNothing(t *testing.T) {
	t.Parallel()
	needRoot(t)
	top := sharedDir(t)
	if err := os.Chown(top, nobodyUID, nobodyUID); err != nil {
		t.Fatal(err)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, tc := range []struct {
		what, want string
		args       []string
	}{
		{"not a member", "cfkd: --admin-group 4242: cfkd's user (uid 65534) is not a member of group 4242 (gid 4242)", []string{"--admin-group", "4242"}},
		{"busy --http", "address already in use", []string{"--http", busy.Addr().String()}},
	} {
		for _, existed := range []bool{false, true} {
			home := filepath.Join(top, strings.ReplaceAll(tc.what, " ", "-"))
			if existed {
				home += "-existed"
				if err := os.Mkdir(home, 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(home, "mine"), nil, 0o600); err != nil {
					t.Fatal(err)
				}
				for _, p := range []string{home, filepath.Join(home, "mine")} {
					if err := os.Chown(p, nobodyUID, nobodyUID); err != nil {
						t.Fatal(err)
					}
				}
			}
			out, err := cfkdAsNobody(t, home, tc.args...)
			if err == nil || !strings.Contains(string(out), tc.want) {
				t.Fatalf("%s: %v, %q; want refused with %q", tc.what, err, out, tc.want)
			}
			entries, err := os.ReadDir(home)
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			if existed && (err != nil || !slices.Equal(names, []string{"mine"})) {
				t.Errorf("%s, the home there before: it holds %q (%v), want only mine", tc.what, names, err)
			}
			if !existed && err == nil {
				t.Errorf("%s: the home it made is left, holding %q", tc.what, names)
			}
		}
	}
}

// cfkdAsNobody runs cfkd as nobody (no supplementary group) on home with
// args, expected to refuse to start, and returns its output; it is killed
// after the suite's deadline, and whatever it left on home at the end of
// the test.
func cfkdAsNobody(t *testing.T, home string, args ...string) ([]byte, error) {
	t.Helper()
	t.Cleanup(func() { killHome(home) })
	// the binary's directory is 0700 (os.MkdirTemp): nobody must enter it
	if err := os.Chmod(filepath.Dir(cfkdBin), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	cmd := exec.CommandContext(ctx, cfkdBin, append([]string{"--home", home}, args...)...)
	cmd.Env = childEnv("CFKD_HOME="+home, "HOME=/nonexistent")
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobodyUID, Gid: nobodyUID, Groups: []uint32{}}}
	return cmd.CombinedOutput()
}

// A refused start removes only what it made: a second cfkd on a home
// whose lock a running cfkd holds, or on a socket a running cfkd accepts
// on, leaves that cfkd's files, and it answers on (REFERENCE §7.2, §7.4).
func TestRefusedStartKeepsRunningCfkd(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "")
	before, err := os.ReadDir(d.home)
	if err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "other")
	for _, tc := range []struct {
		home, want string
		args       []string
	}{
		{d.home, "cannot lock", []string{"-a", "unix:" + filepath.Join(t.TempDir(), "sock")}},
		{other, "another process accepts connections there", []string{"-a", "unix:" + d.sock}},
	} {
		out, err := cfkdOutput(t, tc.home, nil, tc.args...)
		if err == nil || !strings.Contains(string(out), tc.want) {
			t.Fatalf("%v: %v, %q; want refused with %q", tc.args, err, out, tc.want)
		}
	}
	after, err := os.ReadDir(d.home)
	if err != nil || len(after) != len(before) {
		t.Errorf("the running cfkd's home: %v then %v (%v)", before, after, err)
	}
	if _, err := os.Stat(other); err == nil {
		t.Errorf("the refused start's home %s is left", other)
	}
	d.dial().ok("service web cmd=sleep 1000")
}
