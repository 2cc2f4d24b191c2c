package integration

import (
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/messages"
	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"
)

// REFERENCE §4.5: a stop of a proxied service whose proxy has not
// reported its pid yet (a proxy that preloads) ends `stopped`, not `fail`:
// nothing cfkd knew of ran. It went `fail` (`proxy did not report the
// exit`, an ERROR) one stopwait after the stop. What the proxy starts late
// for that start is ended: here the proxy loads until the test opens its
// gate (a fixed load of 3 s was over before the stop on a loaded machine),
// and the process it then forks is gone (killed when its `started` comes,
// or stopped by the stop line cfkd wrote after the start's).
func TestStopBeforeTheProxyReportedThePid(t *testing.T) {
	dir := t.TempDir()
	proxy := buildCfkProxy(t, dir)
	pidFile := filepath.Join(dir, "pid")
	gate := filepath.Join(dir, "gate")
	log := logrus.New()
	log.SetLevel(logrus.InfoLevel) // a process the proxy reaped first is an info line
	hook := logtest.NewLocal(log)
	h := newHarness(t, func(o *actors.Options) { o.Log = log })
	h.ok("proxy p cmd=sh -c 'until [ -e "+gate+" ]; do sleep 0.05; done; exec "+proxy+"'",
		"proxy p service s cmd=sh -c 'echo $$ > "+pidFile+"; exec sleep 100'",
		"proxy p noauto=1", // it stays up once s is down: it forks s late
		"service s stopwait_secs=0.5")
	ppid := 0
	t.Cleanup(func() { // the proxy and its service, whatever the test saw
		h.exec("command proxydown p")
		if ppid != 0 {
			syscall.Kill(ppid, syscall.SIGKILL)
		}
		if b, err := os.ReadFile(pidFile); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	h.ok("command proxyup p", "command start service s")
	h.poll("proxy p up (s's start line written)", func() bool {
		ppid = h.proxyPid("p")
		return ppid != 0
	})
	h.expect("s", messages.Starting)
	// the start line in the proxy's command pipe (its fd 3, which the
	// loading sh does not read): a stop before it is written takes it
	// back, stopped at once (TestStopOfAStartNeverSentToTheProxy), and
	// the proxy's pid is known before
	h.poll("s's start line written to the proxy", func() bool { return pipeHolds(ppid, 3) > 0 })
	h.ok("command stop service s")
	ev := h.expectSeq("s", messages.Stopping, messages.Stopped)
	if got := ev[1].At.Sub(ev[0].At); got > 2*time.Second {
		t.Errorf("stopped %v after the stop, want one stopwait (0.5 s)", got)
	}
	found := false
	for _, e := range hook.AllEntries() {
		if e.Level == logrus.WarnLevel && strings.Contains(e.Message, "s: its proxy had not reported its pid 500ms after the stop: considered stopped") {
			found = true
		}
	}
	if !found {
		t.Errorf("no warning that the proxy had not reported the pid")
	}
	if err := os.WriteFile(gate, nil, 0o600); err != nil { // the proxy loads now
		t.Fatal(err)
	}
	// the process the proxy forks once loaded is killed as its `started`
	// comes, for a start the service gave up, unless the proxy, which
	// read the stop line too, ended it before cfkd took its handle
	var pid int
	h.poll("the kill of the process the proxy forks late", func() bool {
		for _, e := range hook.AllEntries() {
			if _, after, ok := strings.Cut(e.Message, "proxy 'p' started 's' (pid "); ok {
				n, _, _ := strings.Cut(after, ") for a start the service gave up: ")
				pid, _ = strconv.Atoi(n)
			}
		}
		return pid != 0
	})
	h.waitGone(pid)
	if st := h.status("s"); st[1] != "stopped" {
		t.Fatalf("status %q, want stopped", st)
	}
}

// REFERENCE §4.5: a stop of a proxied service whose start line still
// waits in cfkd, never written to the proxy (600 starts under a proxy
// that reads none), takes that line back: the service is stopped at
// once. It waited its stopwait (here 30 s) for a pid that could not come.
func TestStopOfAStartNeverSentToTheProxy(t *testing.T) {
	quiet := logrus.New()
	quiet.SetOutput(io.Discard) // the 599 starts the proxy's end loses, each a warning
	h := newHarness(t, func(o *actors.Options) { o.Log = quiet })
	lines := []string{"proxy p cmd=sleep 1000"}
	for i := 1; i <= 600; i++ {
		y := "y" + strconv.Itoa(i)
		lines = append(lines, "proxy p service "+y+" cmd=sleep 100", "service "+y+" tags=y", "service "+y+" stopwait_secs=30")
	}
	h.ok(lines...)
	t.Cleanup(func() { h.exec("command proxydown p") }) // its sleep, and the services waiting on it
	if r := h.ok("command start tag y"); r[0] != "done 600" {
		t.Fatalf("start: %q", r)
	}
	h.expect("y600", messages.Starting)
	t0 := time.Now()
	h.ok("command stop service y600")
	h.expectSeq("y600", messages.Stopping, messages.Stopped)
	if d := time.Since(t0); d > 5*time.Second {
		t.Fatalf("y600 stopped %v after its stop, want at once: its start was never sent", d)
	}
	if st := h.status("y1"); st[1] != "starting" {
		t.Fatalf("y1: %q, want starting: its start waits for the proxy", st)
	}
}

// REFERENCE §4.5: a proxy that ends while a stop of one of its services
// waits for the pid it never reported (a proxydown of a proxy that
// preloads) leaves that service `stopped`: it went `fail` (`proxy
// stopped`), nothing having run that cfkd knew of.
func TestProxyEndsBeforeThePidOfAStoppedService(t *testing.T) {
	dir := t.TempDir()
	proxy := buildCfkProxy(t, dir)
	h := newHarness(t)
	// its gate never opens: the proxy is still loading at its proxydown
	gate := filepath.Join(dir, "gate")
	h.ok("proxy p cmd=sh -c 'until [ -e "+gate+" ]; do sleep 0.05; done; exec "+proxy+"'",
		"proxy p service s cmd=sleep 100",
		"service s stopwait_secs=30")
	ppid := 0
	t.Cleanup(func() {
		if ppid != 0 {
			syscall.Kill(ppid, syscall.SIGKILL)
		}
	})
	h.ok("command start service s")
	h.poll("proxy p up (s's start line written)", func() bool {
		ppid = h.proxyPid("p")
		return ppid != 0
	})
	h.expect("s", messages.Starting)
	h.ok("command stop service s")
	h.expect("s", messages.Stopping)
	h.ok("command proxydown p") // SIGTERM: its sh ends before it runs cfk-proxy
	h.expect("s", messages.Stopped)
	if st := h.status("s"); st[1] != "stopped" {
		t.Fatalf("status %q, want stopped", st)
	}
}
