package integration

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/cfk/cfk/messages"
)

// REFERENCE §2.9, §4.5: a proxied service's ready timeout counts from the
// report of its pid. A proxy that preloads an application reads its first
// start line only once loaded; counted from that line, a load longer
// than ready_timeout_secs ended the run startwait_secs after its pid,
// `Not ready after 3s` for a process that had lived 0.2 s, and every
// retry (the auto proxy loading again each time) the same, to fatal.
// Here the proxy loads for 4 s and the service is ready 0.3 s after it
// runs: it becomes running.
func TestProxiedReadyTimeoutCountsFromThePid(t *testing.T) {
	dir := t.TempDir()
	proxy := buildCfkProxy(t, dir)
	flag := filepath.Join(dir, "ready")
	h := newHarness(t)
	h.ok("proxy p cmd=sh -c 'sleep 4; exec "+proxy+"'",
		"proxy p service s cmd=sh -c 'sleep 0.3; touch "+flag+"; exec sleep 100'",
		"service s ready=exec:test -e "+flag,
		"service s ready_timeout_secs=3",
		"service s startwait_secs=0.2",
		"service s respawn_max_retries=1")
	h.ok("command start service s")
	t.Cleanup(func() { // the proxy, whatever the test saw of it
		ppid := h.proxyPid("p")
		// cfk-proxy ends its services (cfkd cannot without pidfds, §11)
		h.exec("command proxydown p")
		if ppid != 0 {
			syscall.Kill(ppid, syscall.SIGKILL)
		}
	})
	var got messages.ServiceStateChanged
	h.wait("s running, or stopped as not ready", deadline, func() bool {
		found := false
		for _, e := range h.rec.All { // under the lock, as wait calls it
			if e.Name == "s" && (e.To == messages.Running || e.To == messages.Stopping || e.To == messages.Fatal) {
				got, found = e, true
				break
			}
		}
		return found
	})
	if got.To != messages.Running {
		t.Fatalf("s went %s → %s (%s), want running: ready 0.3 s after its pid, 3 s allowed", got.From, got.To, got.Reason)
	}
}

// REFERENCE §2.9, §4.5: a proxied service's readiness probe starts at the
// report of its pid. It started at the start line: a proxy that preloads
// (here 2 s of load) had no process to probe, the probe tried against
// nothing, and it was down to its slowest tries (1 s apart) by the time
// the process came. The probe here notes each try made before the proxy
// loaded (LOADED is made before cfk-proxy runs, so before any pid it
// reports): there must be none.
func TestProxiedProbeStartsAtThePid(t *testing.T) {
	dir := t.TempDir()
	proxy := buildCfkProxy(t, dir)
	loaded, flag, early := filepath.Join(dir, "loaded"), filepath.Join(dir, "ready"), filepath.Join(dir, "early")
	h := newHarness(t)
	h.ok("proxy p cmd=sh -c 'sleep 2; touch "+loaded+"; exec "+proxy+"'",
		"proxy p service s cmd=sh -c 'sleep 0.3; touch "+flag+"; exec sleep 100'",
		"service s ready=exec:test -e "+loaded+" || echo try >> "+early+"; test -e "+flag,
		"service s startwait_secs=0.2")
	h.ok("command start service s")
	t.Cleanup(func() { // the proxy, whatever the test saw of it
		ppid := h.proxyPid("p")
		h.exec("command proxydown p") // cfk-proxy ends its services
		if ppid != 0 {
			syscall.Kill(ppid, syscall.SIGKILL)
		}
	})
	if ev := h.expect("s", messages.Running); ev.From != messages.Starting {
		t.Fatalf("s went %s → running", ev.From)
	}
	if b, err := os.ReadFile(early); err == nil || !os.IsNotExist(err) {
		t.Fatalf("the probe tried %d times while the proxy loaded (%v), want none: it starts at the pid",
			strings.Count(string(b), "try"), err)
	}
}
