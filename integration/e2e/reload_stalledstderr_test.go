package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestReloadWithAStalledStderrGoesOn: a cfkd whose stderr is a full pipe
// whose reader hangs says on it what a SIGUSR1 refused, bounded as its
// other messages there (REFERENCE §7.3, §7.4): that message held the
// reloads' goroutine for ever, and every SIGUSR1 after it was left
// unhandled (a log file never reopened after logrotate's move, the token
// files never re-read again).
func TestReloadWithAStalledStderrGoesOn(t *testing.T) {
	good := "cfkd = file:cfkd.log\n"
	home := newHome(t, good)
	d := runDaemonCmd(t, home, exec.Command(cfkdBin, "--home", home), fullPipe(t)).acceptsOnHome()
	conf := filepath.Join(home, "log.config")
	if err := os.WriteFile(conf, []byte("level = loud\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d.cmd.Process.Signal(syscall.SIGUSR1)
	waitLog(t, home, "log config not reloaded") // said in the log, then on stderr
	if err := os.WriteFile(conf, []byte(good+"services = file:services.log\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d.cmd.Process.Signal(syscall.SIGUSR1)
	waitFor(t, "the second SIGUSR1's reload", func() bool {
		return strings.Count(readLog(home), "Reloading log config") == 2
	})
	c := d.dial()
	c.ok(`service e cmd=echo routed-by-the-second-reload`, "command start service e")
	waitFor(t, "the service's line in services.log, the second reload's", func() bool {
		b, _ := os.ReadFile(filepath.Join(home, "services.log"))
		return strings.Contains(string(b), "routed-by-the-second-reload")
	})
}

// TestFailingDestinationWithAStalledStderrGoesOn: a log destination
// whose writes fail (a full disk: /dev/full) is said on stderr, then
// among cfkd's events (REFERENCE §6.2); with a stderr that does not take
// it (a full pipe whose reader hangs), the message there waited for ever,
// holding that destination's writer: cfkd's log never said it, and the
// destination was never written again.
func TestFailingDestinationWithAStalledStderrGoesOn(t *testing.T) {
	home := newHome(t, "cfkd = file:cfkd.log\nservices = file:/dev/full\n")
	d := runDaemonCmd(t, home, exec.Command(cfkdBin, "--home", home), fullPipe(t)).acceptsOnHome()
	c := d.dial()
	c.ok(`service e cmd=echo lost-on-a-full-disk`, "command start service e")
	waitLog(t, home, "log destination fails: write /dev/full: no space left on device")
}
