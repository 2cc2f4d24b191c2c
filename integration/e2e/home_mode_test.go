package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// homeIsTheGroups checks that home is still mode 0710, group adminGID, as
// --admin-group made it (REFERENCE §5.2), and that a member reaches the
// socket. A request answered first: cfkd shares the socket once it listens,
// and accepts only after that.
func homeIsTheGroups(t *testing.T, d *daemon) {
	t.Helper()
	d.dial().ok("command list")
	st, err := os.Stat(d.home)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o710 || st.Sys().(*syscall.Stat_t).Gid != adminGID {
		t.Errorf("home: mode %04o gid %d, want 0710 gid %d", st.Mode().Perm(), st.Sys().(*syscall.Stat_t).Gid, adminGID)
	}
	expectCtl(t, 0, "", []uint32{adminGID}, nil, "", "-a", "unix:"+d.sock, "status")
}

// REFERENCE §7.2: a second cfkd on the home of a running one refuses to
// start, and leaves that home as it is: it made it mode 0700 before it
// met the lock, and the members of the running cfkd's --admin-group lost
// their console (`cfkd -d` run twice, a restart that came too soon).
func TestSecondDaemonLeavesTheHome(t *testing.T) {
	needRoot(t)
	d := startDaemon(t, filepath.Join(sharedDir(t), "home"), "--admin-group", strconv.Itoa(adminGID))
	homeIsTheGroups(t, d)
	out, err := exec.Command(cfkdBin, "--home", d.home).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "cfkd running as pid:"+strconv.Itoa(d.cmd.Process.Pid)+"?") {
		t.Fatalf("second cfkd: %v %q, want a refusal", err, out)
	}
	homeIsTheGroups(t, d)
}

// REFERENCE §13.2: an upgrade in place keeps the home as the former cfkd
// made it: the new cfkd made it mode 0700 as at a start, but shares the
// socket it adopts no further, so the members of --admin-group lost
// their console at every upgrade.
func TestUpgradeKeepsTheGroupsHome(t *testing.T) {
	needRoot(t)
	d := startDaemon(t, filepath.Join(sharedDir(t), "home"), "--admin-group", strconv.Itoa(adminGID))
	homeIsTheGroups(t, d)
	if r := d.dial().do("command upgrade " + cfkdBin); r.Err != nil {
		t.Fatalf("upgrade: %v", r.Err)
	}
	waitFor(t, "the new cfkd serving", func() bool {
		b, _ := os.ReadFile(filepath.Join(d.home, "cfkd.log"))
		return strings.Count(string(b), "admin console listening") == 2
	})
	homeIsTheGroups(t, d)
}
