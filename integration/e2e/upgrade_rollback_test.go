package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cfk/cfk/internal/testkit"
)

// faultVersion is what the failing build (-tags cfkadoptfault) says.
const faultVersion = "upgrade-fault"

var (
	faultBinOnce sync.Once
	faultBin     string
	faultBinErr  error
)

// upgradeFaultBin builds, once, a cfkd whose adoption of an upgrade's
// state fails at the step _CFKD_TEST_ADOPT_FAULT names (daemon's
// adoptfault_on.go: only this test build has it), the build with cfkd's
// test hooks (-tags cfkadoptfault; also actors.SpareIdleEnv).
func upgradeFaultBin(t *testing.T) string {
	t.Helper()
	faultBinOnce.Do(func() {
		faultBin = filepath.Join(filepath.Dir(cfkdBin), "cfkd-fault")
		tags := "cfkadoptfault"
		if f := testkit.BuildFlags(); len(f) == 2 && f[0] == "-tags" {
			tags += "," + f[1]
		}
		args := []string{"build", "-o", faultBin, "-tags", tags, "-ldflags", "-X github.com/cfk/cfk/messages.Version=" + faultVersion}
		if raceEnabled {
			args = append(args, "-race")
		}
		if out, err := exec.Command("go", append(args, "../../cmd/cfkd")...).CombinedOutput(); err != nil {
			faultBinErr = fmt.Errorf("go build %s: %v\n%s", faultBin, err, out)
		}
	})
	if faultBinErr != nil {
		t.Fatal(faultBinErr)
	}
	return faultBin
}

// logHas says how many times cfkd.log of home has s.
func logHas(home, s string) int {
	b, _ := os.ReadFile(filepath.Join(home, "cfkd.log"))
	return strings.Count(string(b), s)
}

const tickCmd = `service tick cmd=sh -c 'while :; do echo tick; sleep 0.02; done'`

// TestUpgradeRollsBack: a new cfkd that fails after the exec, before it
// took the services over (its state refused; or once it took the
// listeners), execs the former binary back, which adopts them again; one
// that fails once its tree took them over (its restore refused, its
// console that does not start)
// upgrades to the former binary, which adopts them again (REFERENCE
// §13.4): cfkd's pid, the service's pid are the same, the
// service keeps writing and its lines are logged, clients are served by
// the former version, the log says why, no upgrade.state is left.
func TestUpgradeRollsBack(t *testing.T) {
	t.Parallel()
	bin := upgradeFaultBin(t)
	for _, step := range []string{"state", "listeners", "restore", "console"} {
		t.Run(step, func(t *testing.T) {
			when := "before"
			if step == "restore" || step == "console" {
				when = "after"
			}
			d := startDaemonBin(t, cfkdBin, "_CFKD_TEST_ADOPT_FAULT="+step)
			c := d.dial()
			c.ok(tickCmd, "command start service tick")
			c.until("tick running", func() bool { return c.status("tick")[1] == "running" })
			pid, old := c.pidsOf()["tick"], c.version()
			c.until("ticks logged", func() bool { return logHas(d.home, "tick") > 5 })
			// cfkctl upgrade waits for the cfkd that serves after the exec,
			// and says it is not the one announced
			ctlDone := make(chan struct{})
			var out, errOut string
			var code int
			if step != "state" {
				go func() { defer close(ctlDone); out, errOut, code = d.ctl("", "upgrade", "--binary", bin) }()
			} else {
				close(ctlDone)
				r := d.dial().do("command upgrade " + bin)
				if r.Err != nil || len(r.Lines) != 1 || r.Lines[0] != "upgrading to cfkd "+faultVersion {
					t.Fatalf("upgrade: %v %q", r.Err, r.Lines)
				}
			}
			end := time.Now().Add(deadline)
			for logHas(d.home, "the upgrade in place failed and was rolled back") == 0 || !d.versionIs(old) {
				select {
				case <-d.exited:
					b, _ := os.ReadFile(filepath.Join(d.home, "cfkd.log"))
					t.Fatalf("cfkd exited instead of rolling back: %v\n%s\nlog:\n%s", d.err, d.stderr.String(), b)
				default:
				}
				if time.Now().After(end) {
					b, _ := os.ReadFile(filepath.Join(d.home, "cfkd.log"))
					t.Fatalf("no rollback after %v\nlog:\n%s", deadline, b)
				}
				time.Sleep(10 * time.Millisecond)
			}
			<-ctlDone
			if step != "state" && (code != 1 || out != "upgrading to cfkd "+faultVersion+"\n" ||
				!strings.Contains(errOut, "cfkctl: upgrade: the upgrade in place failed and was rolled back: cfkd "+faultVersion+" (") ||
				!strings.Contains(errOut, "the test build fails at step \""+step+"\"")) {
				t.Errorf("cfkctl upgrade rolled back: exit %d, %q %q, want exit 1 saying so", code, out, errOut)
			}
			for _, want := range []string{
				"upgrade: cfkd " + faultVersion + " failed " + when + " it took the services over: ",
				"the test build fails at step \"" + step + "\"",
				"upgrade rolled back: 1 services adopted again",
			} {
				if logHas(d.home, want) == 0 {
					b, _ := os.ReadFile(filepath.Join(d.home, "cfkd.log"))
					t.Errorf("cfkd.log does not say %q:\n%s", want, b)
				}
			}
			c = d.dial()
			if got := c.pidsOf()["tick"]; got != pid {
				t.Errorf("tick's pid %s after the rollback, want %s (the same process)", got, pid)
			}
			n := logHas(d.home, "tick")
			c.until("more ticks logged after the rollback", func() bool { return logHas(d.home, "tick") > n+10 })
			if st := c.status("tick"); st[1] != "running" || st[2] != pid {
				t.Errorf("tick after the rollback: %q, want running as pid %s", st, pid)
			}
			if _, err := os.Stat(filepath.Join(d.home, "upgrade.state")); !os.IsNotExist(err) {
				t.Errorf("upgrade.state left in the home after the rollback: %v", err)
			}
			// the former cfkd upgrades again as before: the rollback left
			// it whole
			newBin, _ := upgradeBins(t)
			if out, errOut, code := d.ctl("", "upgrade", "--binary", newBin); code != 0 || out != "upgrading to cfkd "+newVersion+"\n" {
				t.Fatalf("cfkctl upgrade after the rollback: exit %d, %q %q", code, out, errOut)
			}
			if v := d.dial().version(); v != "cfk "+newVersion {
				t.Fatalf("version %q once cfkctl upgrade returned, want the new cfkd's", v)
			}
			if got := d.dial().pidsOf()["tick"]; got != pid {
				t.Errorf("tick's pid %s after the next upgrade, want %s", got, pid)
			}
		})
	}
}

// TestUpgradeRollsBackOnce: a former binary that fails too (the same
// failing build, upgraded to itself) stops: one rollback at most, never
// an exec back and forth.
func TestUpgradeRollsBackOnce(t *testing.T) {
	t.Parallel()
	bin := upgradeFaultBin(t)
	d := startDaemonBin(t, bin, "_CFKD_TEST_ADOPT_FAULT=listeners")
	c := d.dial()
	c.ok(tickCmd, "command start service tick")
	c.until("tick running", func() bool { return c.status("tick")[1] == "running" })
	if r := d.dial().do("command upgrade " + bin); r.Err != nil {
		t.Fatalf("upgrade: %v", r.Err)
	}
	select {
	case <-d.exited:
	case <-time.After(deadline):
		b, _ := os.ReadFile(filepath.Join(d.home, "cfkd.log"))
		t.Fatalf("cfkd still runs %v after a rollback that fails too\nlog:\n%s", deadline, b)
	}
	b, _ := os.ReadFile(filepath.Join(d.home, "cfkd.log"))
	if n := strings.Count(string(b), "rolling back to the former cfkd"); n != 1 {
		t.Errorf("%d rollbacks, want 1\nlog:\n%s", n, b)
	}
	if !strings.Contains(string(b), "the rollback failed too") {
		t.Errorf("cfkd.log does not say the rollback failed:\n%s", b)
	}
	if _, err := os.Stat(filepath.Join(d.home, "upgrade.state")); !os.IsNotExist(err) {
		t.Errorf("upgrade.state left in the home: %v", err)
	}
}

// TestUpgradeRollsBackSameVersion: a rollback between two builds that say
// the same version (the failing build upgraded to itself, failing once) is
// told by cfkctl upgrade (exit 1, why) by the count of execs in place that
// `command upgraded` answers, and `cfkctl upgraded` says it to a client
// that comes after (REFERENCE §13.4); the next upgrade between them takes.
func TestUpgradeRollsBackSameVersion(t *testing.T) {
	t.Parallel()
	bin := upgradeFaultBin(t)
	once := filepath.Join(t.TempDir(), "fail-once")
	if err := os.WriteFile(once, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	d := startDaemonBin(t, bin, "_CFKD_TEST_ADOPT_FAULT=console", "_CFKD_TEST_ADOPT_FAULT_ONCE="+once)
	c := d.dial()
	c.ok(tickCmd, "command start service tick")
	c.until("tick running", func() bool { return c.status("tick")[1] == "running" })
	pid := c.pidsOf()["tick"]
	if out, _, code := d.ctl("", "upgraded"); code != 0 || out != "no upgrade in place since cfkd started\n" {
		t.Errorf("cfkctl upgraded before any upgrade: exit %d, %q", code, out)
	}
	out, errOut, code := d.ctl("", "upgrade", "--binary", bin)
	if code != 1 || out != "upgrading to cfkd "+faultVersion+"\n" ||
		!strings.Contains(errOut, "cfkctl: upgrade: the upgrade in place failed and was rolled back: cfkd "+faultVersion+" (") ||
		!strings.Contains(errOut, "the test build fails at step \"console\"") {
		b, _ := os.ReadFile(filepath.Join(d.home, "cfkd.log"))
		t.Fatalf("cfkctl upgrade rolled back between builds of one version: exit %d, %q %q, want exit 1 saying so\nlog:\n%s", code, out, errOut, b)
	}
	if got := d.dial().pidsOf()["tick"]; got != pid {
		t.Errorf("tick's pid %s after the rollback, want %s", got, pid)
	}
	// a client that comes after the rollback's event learns of it
	if out, _, code := d.ctl("", "upgraded"); code != 0 || !strings.Contains(out, ": the upgrade in place failed and was rolled back: cfkd "+faultVersion) {
		t.Errorf("cfkctl upgraded after the rollback: exit %d, %q", code, out)
	}
	if out, errOut, code := d.ctl("", "upgrade", "--binary", bin); code != 0 || out != "upgrading to cfkd "+faultVersion+"\n" {
		t.Fatalf("cfkctl upgrade once the build fails no more: exit %d, %q %q", code, out, errOut)
	}
	if out, _, code := d.ctl("", "upgraded"); code != 0 || !strings.Contains(out, ": upgraded in place from cfkd "+faultVersion+" to cfkd "+faultVersion+"\n") {
		t.Errorf("cfkctl upgraded after the upgrade: exit %d, %q", code, out)
	}
	if got := d.dial().pidsOf()["tick"]; got != pid {
		t.Errorf("tick's pid %s after the upgrade, want %s", got, pid)
	}
}
