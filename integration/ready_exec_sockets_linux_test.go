package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	. "github.com/cfk/cfk/messages"
)

// A ready=exec: probe of a service with listen_sockets gets none of its
// fds 3, 4, ..., so nothing of the socket hand-over in its environment
// either (REFERENCE §2.9): it had the service's LISTEN_FDS and
// LISTEN_FDNAMES, and sd_listen_fds-aware code in it took its fds 3..
// for sockets. The probe writes its environment to a file; the service
// itself has the three variables.
func TestExecProbeGetsNoListenVars(t *testing.T) {
	h := newHarness(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "probe.env")
	h.ok("socket web host=127.0.0.1", "socket web service=0", "command bind web",
		"service act cmd=sleep 100", "service act listen_sockets=web", "service act startwait_secs=0.1",
		"service act ready=exec:env > "+out+".tmp && mv "+out+".tmp "+out, "command start service act")
	pid := h.expectSeq("act", Starting, Running)[0].Pid
	probeEnv, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range strings.Split(string(probeEnv), "\n") {
		if k, _, _ := strings.Cut(kv, "="); k == "LISTEN_FDS" || k == "LISTEN_FDNAMES" || k == "LISTEN_PID" {
			t.Errorf("the probe's environment has %s", kv)
		}
	}
	if !strings.Contains(string(probeEnv), "\nCONTROL_FREAK_SERVICE=act\n") {
		t.Errorf("the probe's environment is not the service's: %q", probeEnv)
	}
	h.poll("the shim exec'ing sleep", func() bool {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		return string(b) == "sleep\x00100\x00"
	})
	env, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	for _, want := range []string{"LISTEN_PID=" + strconv.Itoa(pid), "LISTEN_FDS=1", "LISTEN_FDNAMES=web"} {
		if !strings.Contains("\x00"+string(env)+"\x00", "\x00"+want+"\x00") {
			t.Errorf("the service's environment lacks %s", want)
		}
	}
	h.ok("command stop service act")
	h.expect("act", Stopped)
}
