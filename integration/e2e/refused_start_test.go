package e2e

import (
	"context"
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
// refused before it makes its home, its log or log.config. A home that
// was there stays, with what was in it. Run as nobody, as a user's own
// cfkd runs.
func TestRefusedStartLeavesNothing(t *testing.T) {
	needRoot(t)
	top := sharedDir(t)
	if err := os.Chown(top, nobodyUID, nobodyUID); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		what, want string
		args       []string
	}{
		{"not a member", "cfkd: --admin-group 4242: cfkd's user (uid 65534) is not a member of group 4242 (gid 4242)", []string{"--admin-group", "4242"}},
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
