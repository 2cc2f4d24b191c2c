package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// REFERENCE §7.5: at start-up cfkd ends what a killed cfkd of its home
// left running, whatever path to the home each was given: the services of
// a cfkd on link/h, a symlink's way to real/h, killed with SIGKILL, ran on
// unsupervised beside the new ones of a cfkd started on real/h, which
// looked for CFKD_HOME=real/h only ('took over the lock', nothing killed).
// Services get the home by its real path.
func TestLeftoversOfAHomeReachedThroughASymlink(t *testing.T) {
	if portable {
		t.Skip("no start-up scan without pidfds (REFERENCE §11)")
	}
	dir := t.TempDir()
	real, link := filepath.Join(dir, "real"), filepath.Join(dir, "link")
	if err := os.Mkdir(real, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	realHome := filepath.Join(real, "h")
	t.Cleanup(func() { killHome(realHome); killHome(filepath.Join(link, "h")) })
	d := startDaemon(t, filepath.Join(link, "h"))
	c := d.dial()
	c.ok("service a cmd=sleep 1000", "command start service a")
	c.until("a has a pid", func() bool { return c.status("a")[2] != "" })
	pid, _ := strconv.Atoi(c.status("a")[2])
	d.cmd.Process.Kill()
	d.waitExit()

	startDaemon(t, realHome)
	waitLog(t, realHome, "killed 1 processes left by a previous cfkd (pid "+strconv.Itoa(d.cmd.Process.Pid)+") on this home")
	waitFor(t, "the service of the killed cfkd gone", func() bool { return !processAlive(pid) })
}
