package e2e

import (
	"fmt"
	"path/filepath"
	"testing"
)

// TestApplyOfWhatAProxyIgnoresKeepsTheProcess: a service under cfk-proxy
// runs with the proxy's umask, limit of open files, identity and
// directory (its start line carries none, REFERENCE §1.1, §4.2): an apply
// that changes only those says `(in place)`, with --dry-run too, and its
// process runs on (it was restarted, for the same process). A change the
// proxy takes restarts it.
func TestApplyOfWhatAProxyIgnoresKeepsTheProcess(t *testing.T) {
	proxy := needProxy(t)
	dir := t.TempDir()
	base := fmt.Sprintf("proxy p cmd=%s\nproxy p service s cmd=sleep 100\nservice s startwait_secs=0.2\n", proxy)
	first := writeConf(t, filepath.Join(dir, "first.conf"), base+"command start all\n")
	second := writeConf(t, filepath.Join(dir, "second.conf"), base+"service s umask=0027\nservice s limit_nofile=1024\nservice s cwd=/\n")
	third := writeConf(t, filepath.Join(dir, "third.conf"), base+"service s umask=0027\nservice s limit_nofile=1024\nservice s cwd=/\nservice s add_env=A=1\n")
	d := startDaemon(t, "", "-c", first)
	defer d.stop()
	c := d.dial()
	c.until("s running", func() bool { return c.status("s")[1] == "running" })
	pid := c.status("s")[2]
	const plan = "~ s: cwd, umask, limit_nofile (in place)\n"
	d.expectApply(0, plan, "", "--dry-run", second)
	d.expectApply(0, plan, "", second)
	if st := c.status("s"); st[1] != "running" || st[2] != pid {
		t.Fatalf("s restarted or stopped by an apply of what its proxy ignores: %q (was pid %s)", st, pid)
	}
	d.expectApply(0, "no changes\n", "", second)
	d.expectApply(0, "~ s: add_env\n", "", third)
	if st := c.status("s"); (st[1] != "starting" && st[1] != "running") || st[2] == pid {
		t.Fatalf("s not restarted by an apply of add_env: %q (was pid %s)", st, pid)
	}
}
