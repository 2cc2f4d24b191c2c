package integration

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/messages"
	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"
)

// proxyScript writes an executable sh script of body in dir and runs px
// (auto) on it with service a (a sleep) under it; the proxy's process
// group is SIGKILLed at the end, whatever the test saw.
func proxyScript(t *testing.T, body string) (*harness, *logtest.Hook, *int) {
	t.Helper()
	dir := t.TempDir()
	script := filepath.Join(dir, "proxy")
	if err := os.WriteFile(script, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	log := logrus.New()
	log.SetLevel(logrus.WarnLevel)
	hook := logtest.NewLocal(log)
	h := newHarness(t, func(o *actors.Options) { o.Log = log })
	h.ok("proxy px cmd="+script, "proxy px service a cmd=sleep 100", "service a stopwait_secs=0.5", "service a startwait_secs=0")
	ppid := new(int)
	t.Cleanup(func() {
		h.exec("command proxydown px")
		if *ppid > 0 {
			syscall.Kill(-*ppid, syscall.SIGKILL)
		}
	})
	return h, hook, ppid
}

// REFERENCE §4.3: a proxy's stopped whose exit_status is no process's
// end (-5) is an abnormal end said as such, and the service is started
// again as after a crash: it failed with 'Received signal 123'.
func TestProxyStoppedWithNoProcesssEnd(t *testing.T) {
	stoppedAbnormally(t, `,"exit_status":-5`, "proxy reported exit_status -5, which is no process's end",
		"exit_status -5 is no process's end (negative): taken as an abnormal end")
}

// REFERENCE §4.3: a proxy's stopped with no exit_status is the end of
// the process all the same, an abnormal one said as such, and the
// service is started again as after a crash: the line was dropped as a
// bad one, and the service stayed running for ever.
func TestProxyStoppedWithNoExitStatus(t *testing.T) {
	stoppedAbnormally(t, "", "proxy reported no exit_status",
		"no exit_status (absent or null): taken as an abnormal end")
}

// stoppedAbnormally runs service a under a proxy script that starts it,
// then says it stopped with field (`,"exit_status":...`, or none) after
// its pid: a fails with reason and starts again, and the bad line is
// logged once, its error ending with bad.
func stoppedAbnormally(t *testing.T, field, reason, bad string) {
	t.Helper()
	h, hook, ppid := proxyScript(t, `read -r line <&"$_CFK_COMMAND_FD"
sleep 100 & pid=$!
printf '{"status":"started","name":"a","pid":%d}\n' "$pid" >&"$_CFK_STATUS_FD"
sleep 0.2
kill "$pid"; wait "$pid"
printf '{"status":"stopped","name":"a","pid":%d`+field+`}\n' "$pid" >&"$_CFK_STATUS_FD"
exec sleep 100
`)
	h.ok("command start service a")
	h.poll("proxy px up", func() bool {
		*ppid = h.proxyPid("px")
		return *ppid != 0
	})
	ev := h.expectSeq("a", messages.Starting, messages.Running, messages.Fail, messages.Starting)
	if ev[2].Reason != reason {
		t.Errorf("a failed with %q, want %q", ev[2].Reason, reason)
	}
	said := 0
	for _, e := range hook.AllEntries() {
		if err, _ := e.Data[logrus.ErrorKey].(error); e.Message == "proxy sent a bad status line" && err != nil &&
			strings.HasSuffix(err.Error(), bad) {
			said++
		}
	}
	if said != 1 {
		t.Errorf("the bad line logged %d times, want 1", said)
	}
}
