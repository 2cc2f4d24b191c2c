package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The tests of `cfkctl apply` (REFERENCE §8.2, `command apply` of
// REFERENCE §1.4) through the real cfkd and cfkctl.

// ctlIn runs cfkctl in directory dir (for relative paths).
func (d *daemon) ctlIn(dir string, args ...string) (string, string, int) {
	d.t.Helper()
	cmd := exec.Command(cfkctlBin, append([]string{"--address", "unix:" + d.sock}, args...)...)
	cmd.Dir, cmd.Env = dir, childEnv()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		d.t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func writeConf(t *testing.T, path, text string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// expectApply runs cfkctl apply and checks its exit status and outputs.
func (d *daemon) expectApply(code int, stdout, stderr string, args ...string) {
	d.t.Helper()
	out, errs, got := d.ctl("", append([]string{"apply"}, args...)...)
	if got != code || out != stdout || errs != stderr {
		d.t.Fatalf("cfkctl apply %q:\n exit %d, want %d\n stdout %q\n   want %q\n stderr %q\n   want %q",
			args, got, code, out, stdout, errs, stderr)
	}
}

// TestApplyAfterConfigFindsNoChanges: `cfkd -c FILE` then `cfkctl apply
// FILE` prints `no changes`, whatever the file spells out or leaves to
// the defaults.
func TestApplyAfterConfigFindsNoChanges(t *testing.T) {
	dir := t.TempDir()
	conf := writeConf(t, filepath.Join(dir, "all.conf"), `# every kind of declaration
socket web host=127.0.0.1
socket web service=0
socket web listen_qsize=max
socket web nonblocking=no
command bind web

service a cmd=sleep 100
service a tags=t1, t2,t1
service a desc=from ${BASE}
service a add_env=A=1
service a add_env=B=
service a startwait_secs=1.0
service a respawn_on_fail=yes
service a tie_stdin_to=web
service b cmd=["sleep", "100"]   # an array
service b cwd=${BASE}
service b stopwait_secs=.5
service b respawn_max_retries=
proxy p cmd=/nonexistent/proxy
proxy p noauto=1
proxy p service w cmd=sleep 100
service w desc=run by p
command start service a
command start service b
`)
	d := startDaemon(t, "", "-c", conf)
	c := d.dial()
	c.until("a and b up", func() bool { return c.status("a")[2] != "" && c.status("b")[2] != "" })
	pidA := c.status("a")[2]
	d.expectApply(0, "no changes\n", "", conf)
	d.expectApply(0, "no changes\n", "", "--dry-run", "--rolling", conf)
	// a relative FILE: ${BASE} is its directory, made absolute
	out, errs, code := d.ctlIn(dir, "apply", "all.conf")
	if code != 0 || out != "no changes\n" || errs != "" {
		t.Fatalf("relative: %d %q %q", code, out, errs)
	}
	if c.status("a")[2] != pidA {
		t.Fatal("a was restarted")
	}
}

// TestApplyPlan: the plan of an add, a change and a removal, with and
// without --dry-run and --prune; a changed service that runs is restarted
// (a new pid), those marked `(in place)` are not: a label, what is read
// at the stop or at the process's end (stopwait_secs, respawn_*), and a
// cmd declared on the console that the file sets back to what the
// process runs; a new one is not started. The dry run's plan is what
// the apply then does.
func TestApplyPlan(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := writeConf(t, filepath.Join(dir, "first.conf"), `
service keep cmd=sleep 100
service change cmd=sleep 100
service change startwait_secs=0.2
service label cmd=sleep 100
service gone cmd=sleep 100
service stopw cmd=sleep 100
service back cmd=sleep 100
command start all
`)
	second := writeConf(t, filepath.Join(dir, "second.conf"), `
service keep cmd=sleep 100
service change cmd=sleep 200
service change startwait_secs=0.2
service label cmd=sleep 100
service label tags=web
service new cmd=sleep 100
service stopw cmd=sleep 100
service stopw stopwait_secs=7
service stopw respawn_max_retries=9
service back cmd=sleep 100
`)
	d := startDaemon(t, "", "-c", first)
	c := d.dial()
	names := []string{"back", "change", "gone", "keep", "label", "stopw"}
	pids := map[string]string{}
	c.until("every service running", func() bool {
		for _, n := range names {
			st := c.status(n)
			if st[1] != "running" {
				return false
			}
			pids[n] = st[2]
		}
		return true
	})
	// declared anew, not restarted: the file declares what it runs
	c.ok("service back cmd=sleep 101")
	plan := "~ back: cmd (in place)\n~ change: cmd\n- gone\n~ label: tags (in place)\n+ new\n~ stopw: respawn_max_retries, stopwait_secs (in place)\n"
	kept := "note: the services marked - are kept (--prune destroys them)\n"

	d.expectApply(0, plan, kept, "--dry-run", second)
	if got := d.ctlOK("", "list"); got != "back\nchange\ngone\nkeep\nlabel\nstopw\n" {
		t.Fatalf("a dry run declared: %q", got)
	}
	for _, n := range names {
		if st := c.status(n); st[2] != pids[n] {
			t.Fatalf("a dry run restarted %s: %q", n, st)
		}
	}

	// a broken file changes nothing
	broken := writeConf(t, filepath.Join(dir, "broken.conf"), "service new cmd=sleep 1\nservice new bogus=1\n")
	d.expectApply(1, "", broken+":2: invalid property 'bogus'\n", broken)

	d.expectApply(0, plan, kept, second)
	st := c.status("change")
	if (st[1] != "starting" && st[1] != "running") || st[2] == pids["change"] || st[7] != "sleep 200" {
		t.Fatalf("change not restarted with its new command: %q (was pid %s)", st, pids["change"])
	}
	for _, n := range []string{"back", "keep", "label", "gone", "stopw"} {
		if st := c.status(n); st[1] != "running" || st[2] != pids[n] {
			t.Fatalf("%s restarted or stopped: %q", n, st)
		}
	}
	if st := c.status("new"); st[1] != "stopped" {
		t.Fatalf("new: %q", st)
	}
	if got := d.ctlOK("", "desc", "label"); got != `label: tags="web" cmd="sleep 100"`+"\n" {
		t.Fatalf("desc label: %q", got)
	}

	d.expectApply(0, "- gone\n", kept, second)
	d.expectApply(0, "- gone\n", "", "--prune", "--dry-run", second)
	if got := d.ctlOK("", "list"); !strings.Contains(got, "gone") {
		t.Fatalf("gone pruned by a dry run: %q", got)
	}
	goneCmd := c.status("gone")
	d.expectApply(0, "- gone\n", "", "--prune", second)
	if got := d.ctlOK("", "list"); got != "back\nchange\nkeep\nlabel\nnew\nstopw\n" {
		t.Fatalf("after prune: %q", got)
	}
	if pid, _ := strconv.Atoi(goneCmd[2]); pid == 0 || processAlive(pid) {
		t.Fatalf("the pruned service's process %q still runs", goneCmd[2])
	}
	d.expectApply(0, "no changes\n", "", "--prune", second)
}

func processAlive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	return len(f) > 0 && f[0] != "Z"
}

// workerConf declares n workers that log `start NAME V AT FORKED` and, on
// SIGTERM, `stop NAME V AT` to marks (V from add_env), running after
// startwait. AT is when the line is written, FORKED when the process was
// forked (before cfkd counts startwait): on a loaded host the first can
// come long after the second. Both are seconds since boot (/proc/uptime,
// the start time of /proc/PID/stat in clock ticks).
func workerConf(marks, version string, n int, startwait string) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		w := "w" + strconv.Itoa(i)
		b.WriteString("service " + w + ` cmd=trap 'read up _ </proc/uptime; echo "stop $CONTROL_FREAK_SERVICE $V $up" >> ` + marks +
			`; exit 0' TERM; read up _ </proc/uptime; echo "start $CONTROL_FREAK_SERVICE $V $up $(cut -d\  -f22 /proc/$$/stat)" >> ` + marks +
			"; while :; do sleep 0.05; done\n")
		b.WriteString("service " + w + " add_env=V=" + version + "\n")
		b.WriteString("service " + w + " startwait_secs=" + startwait + "\n")
	}
	return b.String()
}

type mark struct {
	what, name, version string
	at                  float64 // when the mark was written
	forked              float64 // a start's: when its process was forked
}

func readMarks(t *testing.T, path string) []mark {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []mark
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(l)
		if len(f) < 4 {
			continue
		}
		m := mark{what: f[0], name: f[1], version: f[2]}
		m.at, err = strconv.ParseFloat(f[3], 64)
		m.forked = m.at
		if err == nil && m.what == "start" {
			var ticks float64
			if len(f) != 5 {
				err = fmt.Errorf("no fork time")
			} else if ticks, err = strconv.ParseFloat(f[4], 64); err == nil {
				m.forked = ticks / 100 // USER_HZ
				if m.forked > m.at+0.01 {
					err = fmt.Errorf("forked after it ran")
				}
			}
		}
		if err != nil {
			t.Fatalf("mark %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

func markText(ms []mark) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.what+" "+m.name+" "+m.version)
	}
	return out
}

// waitMarks waits until marks holds n lines.
func waitMarks(t *testing.T, path string, n int) []mark {
	t.Helper()
	end := time.Now().Add(deadline)
	for {
		ms := readMarks(t, path)
		if len(ms) >= n {
			return ms
		}
		if time.Now().After(end) {
			t.Fatalf("waiting for %d marks, got %q", n, markText(ms))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestApplyRolling: --rolling restarts the changed services one at a
// time, each stopped only once the previous one has run startwait_secs;
// without it, all at once.
func TestApplyRolling(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	marks := filepath.Join(dir, "marks")
	conf := func(v string) string {
		return writeConf(t, filepath.Join(dir, v+".conf"), workerConf(marks, v, 3, "0.5"))
	}
	d := startDaemon(t, "", "-c", conf("v0"))
	d.ctlOK("", "start", "all")
	waitMarks(t, marks, 3)
	c := d.dial()
	c.until("all running", func() bool {
		return c.status("w1")[1] == "running" && c.status("w2")[1] == "running" && c.status("w3")[1] == "running"
	})

	plan := "~ w1: add_env\n~ w2: add_env\n~ w3: add_env\n"
	d.expectApply(0, plan, "", "--rolling", conf("v1"))
	ms := readMarks(t, marks)[3:]
	want := []string{"stop w1 v0", "start w1 v1", "stop w2 v0", "start w2 v1", "stop w3 v0", "start w3 v1"}
	if !slices.Equal(markText(ms), want) {
		t.Fatalf("rolling: marks %q, want %q", markText(ms), want)
	}
	for i := 1; i+1 < len(ms); i += 2 { // start wN, then stop wN+1
		// from the fork of wN (before startwait counts) to the trap of
		// wN+1 (after the SIGTERM): never shorter than what cfkd waited
		if gap := ms[i+1].at - ms[i].forked; gap < 0.45 {
			t.Fatalf("%s stopped %.3fs after %s started: not running yet (startwait 0.5s)", ms[i+1].name, gap, ms[i].name)
		}
	}

	// all at once: no worker is stopped after another has run again
	d.expectApply(0, plan, "", conf("v2"))
	ms = waitMarks(t, marks, 15)[9:]
	if len(ms) != 6 {
		t.Fatalf("all at once: marks %q", markText(ms))
	}
	var lastStop, firstStart float64
	for _, m := range ms {
		switch {
		case m.what == "stop" && m.version == "v1":
			lastStop = max(lastStop, m.at)
		case m.what == "start" && m.version == "v2":
			if firstStart == 0 || m.at < firstStart {
				firstStart = m.at
			}
		default:
			t.Fatalf("all at once: unexpected mark %+v", m)
		}
	}
	if lastStop-firstStart > 0.45 {
		t.Fatalf("all at once: the last stop came %.3fs after the first start", lastStop-firstStart)
	}
}

// TestApplyConcurrentDoNotInterleave: two cfkctl apply --rolling at once;
// one applies wholly (its restarts done) before the other begins, which
// plans from what the first left: cfkd refuses it while the first is
// under way, and cfkctl, saying so on stderr, sends it again.
func TestApplyConcurrentDoNotInterleave(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	marks := filepath.Join(dir, "marks")
	conf := func(v string) string {
		return writeConf(t, filepath.Join(dir, v+".conf"), workerConf(marks, v, 3, "0.3"))
	}
	d := startDaemon(t, "", "-c", conf("v0"))
	d.ctlOK("", "start", "all")
	waitMarks(t, marks, 3)
	c := d.dial()
	c.until("all running", func() bool {
		return c.status("w1")[1] == "running" && c.status("w2")[1] == "running" && c.status("w3")[1] == "running"
	})

	run := func(v string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
		cmd := exec.Command(cfkctlBin, "--address", "unix:"+d.sock, "apply", "--rolling", conf(v))
		cmd.Env = childEnv()
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd, &out, &errb
	}
	ca, outA, errA := run("a")
	cb, outB, errB := run("b")
	for _, p := range []struct {
		cmd       *exec.Cmd
		out, errs *bytes.Buffer
	}{{ca, outA, errA}, {cb, outB, errB}} {
		done := make(chan error, 1)
		go func() { done <- p.cmd.Wait() }()
		select {
		case err := <-done:
			waited := regexp.MustCompile(`^(cfkctl: an apply is under way \(from unix:uid=\d+,pid=\d+ since [^)]*\): try again once it is done( \(a stop of '[^']*' ends its wait\))?; waiting \(see --timeout\)\n)*$`)
			if err != nil || p.out.String() != "~ w1: add_env\n~ w2: add_env\n~ w3: add_env\n" || !waited.MatchString(p.errs.String()) {
				t.Fatalf("%v: %v\nstdout %q\nstderr %q", p.cmd.Args, err, p.out, p.errs)
			}
		case <-time.After(deadline):
			t.Fatalf("%v did not finish", p.cmd.Args)
		}
	}
	got := markText(readMarks(t, marks)[3:])
	first, second := "a", "b"
	if len(got) > 1 && strings.HasSuffix(got[1], " b") {
		first, second = "b", "a"
	}
	var want []string
	for _, v := range []struct{ from, to string }{{"v0", first}, {first, second}} {
		for _, w := range []string{"w1", "w2", "w3"} {
			want = append(want, "stop "+w+" "+v.from, "start "+w+" "+v.to)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("marks\n %q\nwant\n %q", got, want)
	}
	if out := d.ctlOK("", "apply", "--dry-run", conf(second)); out != "no changes\n" {
		t.Fatalf("the last apply is not what cfkd holds: %q", out)
	}
}

// TestApplyOnCommandOnlyConsole: a dry run only reads and is allowed on a
// command-only console; an apply declares, and is not.
func TestApplyOnCommandOnlyConsole(t *testing.T) {
	conf := writeConf(t, filepath.Join(t.TempDir(), "a.conf"), "service a cmd=sleep 100\n")
	d := startDaemon(t, "", "--command-only")
	d.expectApply(0, "+ a\n", "", "--dry-run", conf)
	d.expectApply(1, "", "not authorized\n", conf)
}
