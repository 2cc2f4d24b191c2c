package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/cfk/cfk/osproc"
)

// REFERENCE §4.5, §4.6, §7.5: the process cfk-proxy forks for a start
// its service gave up (the stop came before the pid: a proxy that loads)
// is killed by cfkd when its `started` comes; cfkd had written the stop
// line after the start line. When that kill lands before cfk-proxy reads
// the stop line, cfk-proxy reaps a child it did not stop: it kept the
// daemon that child forked (a forking service's), the stop line got
// `Oops, I don't know about 's'`, and the daemon (in a session of its
// own, ignoring SIGTERM) ran on, unsupervised, until the proxy ended. It
// is now ended at that stop line. The proxy is cfk-proxy behind a
// relay that orders what the race may: it loads until the test opens its
// gate, forwards the start line, then the `started` once the daemon runs,
// and the stop line only once cfk-proxy reported the child's exit.
// Without pidfds (cfkportable) cfkd kills nothing, and the race is none.
func TestGivenUpStartUnderCfkProxyEndsItsDaemon(t *testing.T) {
	t.Parallel()
	if !osproc.Pidfds {
		t.Skip("no pidfds in this build: cfkd holds no handle on the process, and does not kill it (REFERENCE §11)")
	}
	bin := needProxy(t)
	dir := t.TempDir()
	gate, daemonPid := filepath.Join(dir, "gate"), filepath.Join(dir, "daemon")
	cmdFifo, stFifo, exited := filepath.Join(dir, "cmd"), filepath.Join(dir, "st"), filepath.Join(dir, "exited")
	proxy := filepath.Join(dir, "proxy.sh")
	if err := writeExecutable(proxy, []byte(`#!/bin/sh
until [ -e `+gate+` ]; do sleep 0.05; done
read -r start <&3
read -r stop <&3
mkfifo `+cmdFifo+` `+stFifo+`
(
	exec 6>`+cmdFifo+`
	printf '%s\n' "$start" >&6
	until [ -e `+exited+` ]; do sleep 0.01; done
	printf '%s\n' "$stop" >&6
	exec cat <&3 >&6
) 4>&- &
(
	while read -r l; do
		case $l in
		*'"started"'*) until [ -s `+daemonPid+` ]; do sleep 0.01; done ;;
		esac
		printf '%s\n' "$l" >&4
		case $l in
		*'"stopped"'*) : >`+exited+` ;;
		esac
	done <`+stFifo+`
) 3<&- &
exec `+bin+` 3<`+cmdFifo+` 4>`+stFifo+`
`)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // whatever the test saw of it
		if b, err := os.ReadFile(daemonPid); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	d := startDaemon(t, "")
	defer d.stop()
	c := d.dial()
	c.ok("proxy p cmd="+proxy, "proxy p noauto=1",
		`proxy p service s cmd=(setsid sh -c 'trap "" TERM; echo $$ > `+daemonPid+`; exec sleep 1012' </dev/null >/dev/null 2>&1 &); exec sleep 1013`,
		"service s stopwait_secs=0.5")
	pid := giveUpAStart(t, d, c, gate, daemonPid)
	waitFor(t, "the daemon of the given-up start gone", func() bool { return gone(pid) })
	waitLog(t, d.home, "stopping s: it had exited (pid ")
	waitLog(t, d.home, "killing orphan pid "+strconv.Itoa(pid)+" (sleep) left by service s")
}
