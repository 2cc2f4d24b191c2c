package integration

import (
	"strings"
	"syscall"
	"testing"

	"github.com/cfk/cfk/messages"
)

// REFERENCE §1.4, §4.5: a proxied service is `starting` with no pid until
// its proxy reports one (a proxy that preloads an application reads its
// first command only once loaded). `signal` to it then answered `done 1`
// and sent nothing: there was no process to send it to, and the operator
// who asked for a HUP was told it went. It is answered an error now, in
// `starting` and in `stopping` alike.
func TestSignalBeforeTheProxyReportedThePid(t *testing.T) {
	h := newHarness(t)
	// a proxy that never reads its commands: the start stays unanswered
	h.ok("proxy p cmd=sleep 60", "proxy p service s cmd=sleep 100")
	h.ok("command proxyup p")
	var ppid int
	h.poll("proxy p to run", func() bool {
		for _, l := range h.ok("command proxystatus") {
			if f := strings.Split(l, "\t"); len(f) == 3 && f[0] == "p" && f[1] == "up" && f[2] != "" {
				ppid = atoi(f[2])
				return true
			}
		}
		return false
	})
	t.Cleanup(func() { syscall.Kill(ppid, syscall.SIGKILL) })

	h.ok("command start service s")
	h.expect("s", messages.Starting)
	want := "Service 's' has no process yet: its proxy has not reported its pid"
	h.fails("command signal HUP service s", want)
	// the start line in the proxy's command pipe (its fd 3): a stop
	// before it is written takes it back, stopped at once
	h.poll("s's start line written to the proxy", func() bool { return pipeHolds(ppid, 3) > 0 })
	h.ok("command stop service s")
	h.expect("s", messages.Stopping)
	h.fails("command signal HUP service s", want)
}
