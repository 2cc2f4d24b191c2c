//go:build linux

package integration

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/proxywire"
)

// REFERENCE §4.5, §4.6, §7.5: cfk-proxy, a child subreaper, holds the
// daemons of its services. cfkd kills at once the process of a `started`
// that came after its service's stop, having written the stop line after
// the start's; when that kill lands before cfk-proxy reads the stop line,
// cfk-proxy reaps a child it did not stop. The stop line then ends the
// orphans that child left, as a stop of a live child does: it got `Oops,
// I don't know about 's'`, and the daemon (in a session of its own,
// ignoring SIGTERM) ran on, unsupervised, until the proxy ended. Here the
// test is cfkd: it kills the child, waits for its `stopped`, then writes
// the stop line.
func TestCfkProxyStopAfterTheKillEndsTheDaemon(t *testing.T) {
	dir := t.TempDir()
	p := startProxy(t, []string{buildCfkProxy(t, dir)})
	pidFile := filepath.Join(dir, "daemon.pid")
	p.start(proxywire.Command{Name: "s", Cmd: `(setsid sh -c 'trap "" TERM; echo $$ > ` + pidFile + `; exec sleep 1010' </dev/null >/dev/null 2>&1 &); exec sleep 1011`})
	st := p.waitStatus("s", proxywire.StatusStarted)
	daemon := 0
	t.Cleanup(func() {
		if daemon != 0 {
			syscall.Kill(daemon, syscall.SIGKILL)
		}
	})
	for end := time.Now().Add(deadline); daemon == 0; time.Sleep(10 * time.Millisecond) {
		b, _ := os.ReadFile(pidFile)
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && n > 0 {
			daemon = n
		}
		if time.Now().After(end) {
			t.Fatal("the daemon never wrote its pid")
		}
	}
	// cfkd's kill, with its group (the daemon is in a session of its own)
	syscall.Kill(-st.Pid, syscall.SIGKILL)
	if got := p.waitStatus("s", proxywire.StatusStopped); got.ExitStatus != int(syscall.SIGKILL) {
		t.Fatalf("s ended with status %d, want SIGKILL", got.ExitStatus)
	}
	p.stop("s") // the stop line, read only now
	for end := time.Now().Add(deadline); alive(daemon); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("the daemon (pid %d) of the child killed before its stop line is still alive", daemon)
		}
	}
	p.waitLog("out:-:stopping s: it had exited (pid " + strconv.Itoa(st.Pid) + ")")
	p.waitLog("err:-:killing orphan pid " + strconv.Itoa(daemon) + " (")
}
