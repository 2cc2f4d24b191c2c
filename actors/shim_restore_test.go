package actors

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/osproc"
)

// runSpec runs spec's argv for real with its environment and directory,
// as the launcher would, and returns its output; the process ends by
// itself, and is killed at the deadline.
func runSpec(t *testing.T, spec osproc.Spec) (string, error) {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	cmd := exec.CommandContext(c, spec.Argv[0], spec.Argv[1:]...)
	cmd.Env, cmd.Dir = spec.Env, spec.Dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		err = fmt.Errorf("%w: %s", err, stderr.String())
	}
	return string(out), err
}

// envOf reads the output of `env -0`.
func envOf(out string) map[string]string {
	m := map[string]string{}
	for _, kv := range strings.Split(out, "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

// shIsDash says whether /bin/sh is dash (Debian's), whose PPID may be
// set (bash's is readonly: a bash /bin/sh passes its own on).
func shIsDash() bool {
	p, err := filepath.EvalSymlinks("/bin/sh")
	return err == nil && filepath.Base(p) == "dash"
}

// REFERENCE §2.6: the shim's /bin/sh (dash) sets IFS, OPTIND, PPID and
// PWD at its start whatever its environment says, and passes them on
// so: a service with a umask got IFS=" \t\n", OPTIND=1, PPID=cfkd's pid
// and PWD=its cwd where the same service without it got the values of
// its environment (here a PWD of add_env that is not its cwd). The shim
// gets them under other names and sets them back before it execs the
// command, through the environment: never a value in its argv, which
// any user reads (/proc/PID/cmdline). An OPTIND that is no number
// failed the shim at its start, at every launch (dash: `Illegal number`,
// exit 2): the command now runs without it, and the warning names it.
// Each spec is run for real through /bin/sh.
func TestShimKeepsTheVariablesTheShellSets(t *testing.T) {
	t.Parallel()
	want := map[string]string{"IFS": "x-ifs", "OPTIND": "7391", "PPID": "4242", "PWD": "/nonexistent-pwd", "OTHER": "kept"}
	if !shIsDash() {
		delete(want, "PPID")
	}
	for _, c := range []struct {
		name   string
		optind string
		lost   bool
	}{{"number", "7391", false}, {"not a number", "abc", true}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			logs := &logCapture{changed: make(chan struct{})}
			r := newRig(t, captureLog(logs), func(o *Options) {
				o.Env = []string{"PATH=/usr/bin:/bin", "IFS=x-ifs", "PPID=4242", "OTHER=kept"}
			})
			r.ok("service s cmd=env -0", "service s umask=027", "service s cwd="+t.TempDir(),
				"service s add_env=PWD=/nonexistent-pwd", "service s add_env=OPTIND="+c.optind)
			r.okDone("command start service s", 1)
			spec := r.fake.waitLaunch(t, 1).Spec
			args := strings.Join(spec.Argv, "\x00")
			for _, v := range []string{"x-ifs", "4242", "/nonexistent-pwd", "kept", c.optind} {
				if strings.Contains(args, v) {
					t.Errorf("the shim's argv %q holds the value %q", spec.Argv, v)
				}
			}
			out, err := runSpec(t, spec)
			if err != nil {
				t.Fatalf("the shim: %v", err)
			}
			got := envOf(out)
			for k, v := range want {
				if k == "OPTIND" && c.lost {
					if g, ok := got[k]; ok {
						t.Errorf("OPTIND=%q reached the command, want none", g)
					}
					continue
				}
				if got[k] != v {
					t.Errorf("the command has %s=%q, want %q", k, got[k], v)
				}
			}
			for k := range got {
				if strings.HasPrefix(k, shimSaved) {
					t.Errorf("the command has the shim's %s", k)
				}
			}
			w := ""
			if c.lost {
				w = "warning: s: the variable OPTIND of its environment does not reach its command: cfkd leaves out an OPTIND that is not a number from 0 to 2147483647 for the /bin/sh that sets its umask, limit_nofile or LISTEN_PID (dash refuses one)"
			}
			logs.oneWarning(t, "reach its command", w)
		})
	}
}

// dash's OPTIND: what its number() takes (REFERENCE §2.6), checked
// against /bin/sh itself where it is dash.
func TestDashNumber(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"0", "05", "2147483647", "+5", " 5", "5 ", "-0", "", "abc", "5x", "-1", "2147483648", "99999999999999999999", "0x5"} {
		want := v != "" && v != "abc" && v != "5x" && v != "-1" && v != "2147483648" && v != "99999999999999999999" && v != "0x5"
		if got := dashNumber(v); got != want {
			t.Errorf("dashNumber(%q) = %v, want %v", v, got, want)
		}
		if !shIsDash() {
			continue
		}
		cmd := exec.Command("/bin/sh", "-c", `command export OPTIND="$X" 2>/dev/null`)
		cmd.Env = []string{"X=" + v}
		if got := cmd.Run() == nil; got != want {
			t.Errorf("dash takes OPTIND=%q: %v, dashNumber says %v", v, got, want)
		}
	}
}

// REFERENCE §2.6: the warning of the variables the shim drops was said
// at every start, so at each retry of a crash loop. It is said once a
// declaration: again after the declaration changes.
func TestShimDroppedVariablesWarnOnce(t *testing.T) {
	t.Parallel()
	logs := &logCapture{changed: make(chan struct{})}
	r := newRig(t, captureLog(logs), func(o *Options) { o.Env = []string{"PATH=/usr/bin:/bin", "my-var=1"} })
	code := 1
	r.fake.setExitOnLaunch(&code)
	r.ok("service s cmd=server", "service s umask=027", "service s respawn_max_retries=3", "command start service s")
	r.rec.Expect(t, "s", messages.Fatal)
	if n := r.fake.launchCount(); n < 3 {
		t.Fatalf("%d launches, want a crash loop", n)
	}
	const w = "warning: s: the variable my-var of its environment does not reach its command: the /bin/sh that sets its umask, limit_nofile or LISTEN_PID before it execs the command (dash, busybox) drops a variable whose name is not made of letters, digits and '_'"
	if got := logs.warningsWith("reach its command"); !slices.Equal(got, []string{w}) {
		t.Fatalf("a crash loop warned %q, want once %q", got, w)
	}
	n := r.fake.launchCount()
	r.fake.setExitOnLaunch(nil)
	r.ok("service s add_env=A=1") // another declaration: said again
	r.okDone("command start service s", 1)
	r.fake.waitLaunch(t, n+1)
	if got := logs.warningsWith("reach its command"); !slices.Equal(got, []string{w, w}) {
		t.Fatalf("warned %q, want twice %q", got, w)
	}
}

// REFERENCE §2.6: a service's own variable named as the shim names
// those it sets back (CFK_SHIM_IFS, CFK_SHIM_PPID_1, ...) was taken for
// the shim's: the shim set IFS from it, or it was replaced by the
// shim's copy, and unset; the command had none. The shim's names are
// now under a prefix no variable of the environment has (CFK_SHIM1_,
// ...): each reaches the command as it is, and so do IFS and PPID. The
// spec is run for real through /bin/sh.
func TestShimLeavesAServicesOwnShimNames(t *testing.T) {
	t.Parallel()
	r := newRig(t, func(o *Options) { o.Env = []string{"PATH=/usr/bin:/bin", "IFS=x-ifs", "CFK_SHIM_OPTIND=from cfkd"} })
	r.ok("service s cmd=env -0", "service s umask=027", "service s add_env=CFK_SHIM_IFS=its-own",
		"service s add_env=CFK_SHIM_PPID_1=its-own-too", "service s add_env=PPID=4242", "service s add_env=CFK_SHIM1_PWD=and-this")
	r.okDone("command start service s", 1)
	spec := r.fake.waitLaunch(t, 1).Spec
	out, err := runSpec(t, spec)
	if err != nil {
		t.Fatalf("the shim: %v", err)
	}
	got := envOf(out)
	want := map[string]string{"IFS": "x-ifs", "PPID": "4242", "CFK_SHIM_IFS": "its-own", "CFK_SHIM_PPID_1": "its-own-too",
		"CFK_SHIM1_PWD": "and-this", "CFK_SHIM_OPTIND": "from cfkd"}
	if !shIsDash() {
		delete(want, "PPID")
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("the command has %s=%q (%v), want %q", k, g, ok, v)
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok && strings.HasPrefix(k, shimSaved) {
			t.Errorf("the command has the shim's %s=%q", k, v)
		}
	}
}
