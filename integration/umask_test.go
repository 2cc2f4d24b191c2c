package integration

import (
	"os"
	"strings"
	"testing"

	. "github.com/cfk/cfk/messages"
	"github.com/sirupsen/logrus"
)

// umask= is the process's umask (REFERENCE §1.1), with listen_sockets too
// (one shell sets both, LISTEN_PID still the command's own pid), and not
// the next service's: cfkd's own umask is left as it was.
func TestUmask(t *testing.T) {
	h := newHarness(t)
	h.ok("socket web host=127.0.0.1", "socket web service=0", "command bind web")
	// m runs on after its line: status shows running_cmd of a process
	// that runs (the harness's shutdown ends it)
	h.ok(`service m cmd=sh -c 'echo "$(umask)"; exec sleep 100'`, "service m umask=27", "command start service m")
	if e := h.expectLine("m's umask", func(e *logrus.Entry) bool { return e.Data["service"] == "m" }); e.Message != "0027" {
		t.Fatalf("umask %q, want 0027", e.Message)
	}
	if st := h.status("m"); strings.Contains(st[7], `exec "$0"`) || !strings.HasPrefix(st[7], "sh -c ") {
		t.Fatalf("status shows %q, want the command without the shim", st[7])
	}
	h.ok(`service a cmd=sh -c 'echo "$(umask) $LISTEN_PID $$"'`, "service a umask=0077",
		"service a listen_sockets=web", "command start service a")
	e := h.expectLine("a's line", func(e *logrus.Entry) bool { return e.Data["service"] == "a" })
	f := strings.Fields(e.Message)
	if len(f) != 3 || f[0] != "0077" || f[1] != f[2] {
		t.Fatalf("a says %q, want `0077 PID PID`", e.Message)
	}
	// without umask= the process has cfkd's, whatever the services before
	h.ok(`service n cmd=sh -c 'echo "$(umask)"'`, "command start service n")
	own := currentUmask(t)
	if e := h.expectLine("n's umask", func(e *logrus.Entry) bool { return e.Data["service"] == "n" }); e.Message != own {
		t.Fatalf("umask %q, want cfkd's %s", e.Message, own)
	}
	// a program that cannot be exec'd is the start's error, as without it
	h.ok("service x cmd=no-such-program-here", "service x umask=022", "service x respawn_max_retries=2")
	if r := h.exec("command start service x"); r.Err == nil || !strings.Contains(r.Err.Error(), "Service 'x' failed to start: exec no-such-program-here: ") {
		t.Fatalf("start of x: reply %v / %q, want `failed to start: exec no-such-program-here: ...`", r.Err, r.Lines)
	}
	h.expectSeq("x", Backoff, Fatal)
}

// currentUmask is this process's umask, cfkd's in the harness, as
// /proc/self/status says it (reading it with umask(2) sets it meanwhile).
func currentUmask(t *testing.T) string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status:", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "Umask:"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Skip("no Umask in /proc/self/status")
	return ""
}
