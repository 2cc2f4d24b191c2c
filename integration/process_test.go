package integration

import (
	"os"
	"os/user"
	"strings"
	"testing"

	"github.com/cfk/cfk/actors"
	. "github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/osproc"
	"github.com/sirupsen/logrus"
)

func TestEnvironmentSeenByTheChild(t *testing.T) {
	h := newHarness(t, func(o *actors.Options) { o.Env = []string{"PATH=" + os.Getenv("PATH"), "BASE=1", "FOO=old"} })
	h.ok(`service envsvc cmd=sh -c 'echo "$CONTROL_FREAK_ENABLED $CONTROL_FREAK_SERVICE $FOO $BAR $BASE"'`,
		"service envsvc add_env=FOO=bar", "service envsvc add_env=BAR=baz qux", "command start service envsvc")
	e := h.expectLine("env", func(e *logrus.Entry) bool { return e.Data["service"] == "envsvc" })
	if e.Message != "1 envsvc bar baz qux 1" {
		t.Fatalf("child saw %q", e.Message)
	}
	if e.Data["category"] != "service.envsvc.out" || e.Level != logrus.InfoLevel || e.Data["pid"] == nil {
		t.Fatalf("log fields %v level %v", e.Data, e.Level)
	}
	h.expect("envsvc", Stopped)
}

func TestStderrLoggedAtErrorAndIgnoreStreams(t *testing.T) {
	h := newHarness(t)
	h.ok(`service e cmd=sh -c 'echo to-err >&2; echo to-out'`, "service e ignore_stdout=1", "command start service e")
	e := h.expectLine("stderr", func(e *logrus.Entry) bool { return e.Message == "to-err" })
	if e.Level != logrus.ErrorLevel || e.Data["category"] != "service.e.err" {
		t.Fatalf("stderr entry %v %v", e.Level, e.Data)
	}
	h.expect("e", Stopped)
	for _, x := range h.out.AllEntries() {
		if x.Message == "to-out" {
			t.Fatal("ignored stdout was logged")
		}
	}
}

func TestCwd(t *testing.T) {
	h := newHarness(t)
	dir := t.TempDir()
	h.ok("service w cmd=pwd", "service w cwd="+dir, "command start service w")
	if e := h.expectLine("pwd", func(e *logrus.Entry) bool { return e.Data["service"] == "w" }); e.Message != dir {
		t.Fatalf("pwd %q, want %q", e.Message, dir)
	}
}

func TestUserAndGroup(t *testing.T) {
	if os.Getuid() != 0 {
		h := newHarness(t)
		h.ok("service u cmd=id -u", "service u user=root")
		h.fails("command start service u", `Service 'u' cannot start: cannot run as user "root" group "": cfkd is not running as root`)
		return
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody")
	}
	h := newHarness(t)
	h.ok("service u cmd=id -u", "service u user=nobody", "command start service u")
	if e := h.expectLine("id", func(e *logrus.Entry) bool { return e.Data["service"] == "u" }); e.Message != nobody.Uid {
		t.Fatalf("uid %q, want %q", e.Message, nobody.Uid)
	}
	// resolved at each start, off the actor: an unknown user is the start's error
	h.ok("service v cmd=id -u", "service v user=no-such-user-here")
	h.fails("command start service v", `Service 'v' cannot start: unknown user "no-such-user-here"`)
}

func TestExecFailureBacksOff(t *testing.T) {
	h := newHarness(t)
	h.ok("service x cmd=/no/such/program", "service x respawn_max_retries=2")
	r := h.exec("command start service x")
	if r.Err == nil || !strings.Contains(r.Err.Error(), "Service 'x' failed to start: exec /no/such/program") {
		t.Fatalf("reply %v", r.Err)
	}
	h.expectSeq("x", Backoff, Fatal) // it never started: no `starting`
}

func TestDoubleForkingServiceLeavesNoZombie(t *testing.T) {
	h := newHarness(t)
	// the service daemonises: its child outlives it, is adopted by the
	// supervisor (a child subreaper) and must be reaped when it ends.
	h.ok(`service d cmd=sh -c '(sleep 1.5 &) ; exit 0'`, "service d startwait_secs=2", "command start service d")
	pid := h.expectSeq("d", Starting, Stopped)[0].Pid
	var orphan int
	h.poll("the adopted grandchild", func() bool {
		for _, p := range procs() {
			if p.pgid == pid && p.pid != pid && p.ppid == os.Getpid() {
				orphan = p.pid
				return true
			}
		}
		return false
	})
	h.poll("the grandchild reaped", func() bool { _, exists := readStat(orphan); return !exists })
}

func TestOutputPartialHugeAndFlood(t *testing.T) {
	h := newHarness(t)
	h.out.Noisy("flood")
	// a partial last line, and a 1 MiB line without newline
	h.ok(`service p cmd=sh -c 'printf "partial"'`, "service big cmd=head -c 1048576 /dev/zero",
		`service flood cmd=yes flooding`, "service calm cmd=sh -c 'sleep 0.2; echo calm-line; sleep 100'",
		"command start all")
	h.expectLine("partial line", func(e *logrus.Entry) bool { return e.Message == "partial" })
	h.expect("big", Stopped)
	h.wait("all of the 1 MiB line", deadline, func() bool {
		n := 0
		for _, e := range h.out.AllEntries() {
			if e.Data["service"] == "big" {
				if len(e.Message) > osproc.MaxLine {
					t.Errorf("piece of %d bytes", len(e.Message))
				}
				n += len(e.Message)
			}
		}
		return n == 1<<20
	})
	// a flooding service neither blocks the tree nor hides others' lines
	h.expectLine("the calm service's line despite the flood", func(e *logrus.Entry) bool { return e.Message == "calm-line" })
	if r := h.ok("command stop service flood"); r[0] != "done 1" {
		t.Fatalf("stop flood %q", r)
	}
	h.expect("flood", Stopped)
	if h.out.Counted("flood") == 0 {
		t.Fatal("the flood was not logged at all")
	}
}
