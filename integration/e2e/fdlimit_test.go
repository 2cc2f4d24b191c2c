package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cfkd's fd limit (REFERENCE §7.6) and its own shortage of fds, which is
// not the services' failure (REFERENCE §2.1).

// startDaemonUlimit runs cfkd as startDaemon does, under the limits on open
// files that the shell commands ulimit set first (`ulimit -n N` sets the
// soft and the hard limit), with a hard limit of at most hard.
func startDaemonUlimit(t *testing.T, hard int, ulimit string, args ...string) *daemon {
	t.Helper()
	return startDaemonUlimitBin(t, cfkdBin, hard, ulimit, args...)
}

// startDaemonUlimitBin is startDaemonUlimit with the cfkd binary bin.
func startDaemonUlimitBin(t *testing.T, bin string, hard int, ulimit string, args ...string) *daemon {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || uint64(lim.Max) < uint64(hard) { // an int64 on FreeBSD
		t.Skipf("the hard limit of open files (%d) is under %d", lim.Max, hard)
	}
	home := filepath.Join(t.TempDir(), "home")
	cmd := exec.Command("/bin/sh", append([]string{"-c", ulimit + ` && exec "$0" "$@"`, bin, "--home", home}, args...)...)
	return runDaemonCmd(t, home, cmd, nil).acceptsOnHome()
}

// declareSleepers declares n services s000, s001... running sleep.
func declareSleepers(c *client, n int) {
	c.t.Helper()
	for i := range n {
		c.ok(fmt.Sprintf("service s%03d cmd=sleep 1000", i))
	}
}

// states counts the services by state.
func (c *client) states() map[string]int {
	c.t.Helper()
	m := map[string]int{}
	for _, l := range c.ok("command status") {
		if f := strings.Split(l, "\t"); len(f) > 1 {
			m[f[1]]++
		}
	}
	return m
}

// A start of N services under a limit of 2N + 64 open files starts every
// one at the first attempt: a mass start holds 2 fds per service and a few
// per fork under way, not the 4 per service it used to (a service's pipes
// were made before it waited for its turn to fork).
func TestFdLimitStartAllAtOnce(t *testing.T) {
	const n = 300
	limit := 2*n + 64
	d := startDaemonUlimit(t, limit, fmt.Sprintf("ulimit -n %d", limit))
	c := d.dial()
	c.conn.SetDeadline(time.Now().Add(4 * deadline))
	declareSleepers(c, n)
	lines := c.ok("command start all")
	if len(lines) != 1 || lines[0] != fmt.Sprintf("done %d", n) {
		t.Errorf("start all: %d lines, want only done %d: %q", len(lines), n, lines[:min(len(lines), 4)])
	}
	c.until("every service running", func() bool { return c.states()["running"] == n })
	waitLog(t, d.home, fmt.Sprintf("open files: limit %d (hard %d)", limit, limit))
	waitFor(t, "a start logged per service", func() bool { return strings.Count(readLog(d.home), " - starting s") >= n })
	log := readLog(d.home)
	for _, bad := range []string{"too many open files", "bad file descriptor", "retrying in", "cannot start"} {
		if strings.Contains(log, bad) {
			t.Errorf("cfkd.log says %q:\n%s", bad, grepLines(log, bad, 5))
		}
	}
	if got := strings.Count(log, " - starting s"); got != n {
		t.Errorf("%d launches logged, want %d (one each)", got, n)
	}
	c.ok("command stop all")
}

// When cfkd runs out of fds, the services it cannot start wait in backoff
// with cfkd's reason, are retried, never become fatal, and all run once fds
// are free. The admin console still accepts connections meanwhile (the
// last osproc.FdReserve fds are left to cfkd).
func TestFdShortageIsNotTheServicesFailure(t *testing.T) {
	const n, limit = 100, 160
	d := startDaemonUlimit(t, limit, fmt.Sprintf("ulimit -n %d", limit))
	c := d.dial()
	c.conn.SetDeadline(time.Now().Add(4 * deadline))
	declareSleepers(c, n)
	log := waitLog(t, d.home, "room for about")
	room := regexp.MustCompile(`room for about (\d+) running services`).FindStringSubmatch(log)
	if room == nil {
		t.Fatalf("cfkd did not log its room:\n%s", grepLines(log, "room for", 1))
	}
	warn := fmt.Sprintf("%d services declared: cfkd's limit of %d open files holds about %s running at once", mustAtoi(t, room[1])+1, limit, room[1])
	if log := waitLog(t, d.home, warn); !strings.Contains(grepLines(log, warn, 1), "ulimit -Hn") {
		t.Errorf("the warning does not say how to raise the limit:\n%s", grepLines(log, warn, 1))
	}

	reason := fmt.Sprintf("cfkd: too many open files (limit %d)", limit)
	lines := c.ok("command start all")
	var waiting []string
	for _, l := range lines[1:] {
		name, _, _ := strings.Cut(l, ":")
		if !strings.Contains(l, "cannot start now: "+reason) {
			t.Errorf("start all: %q, want only %q", l, reason)
		}
		waiting = append(waiting, name)
	}
	if len(waiting) == 0 {
		t.Fatalf("start all of %d services under a limit of %d: no shortage (%q)", n, limit, lines)
	}
	// three rounds of retries (1 s apart): still in backoff, none fatal;
	// their records one a second at most across the services, the count
	// of the others in the next (REFERENCE §2.1)
	retry := ": " + reason + "; retrying in 1s (not counted as a failed start)"
	waitFor(t, "three rounds of retries", func() bool { return strings.Count(readLog(d.home), retry) >= 3 })
	if len(waiting) > 1 && !strings.Contains(readLog(d.home), retry+" (and ") {
		t.Errorf("no record of a retry says how many were not logged:\n%s", grepLines(readLog(d.home), retry, 5))
	}
	st := c.states()
	if st["fatal"] != 0 || st["fail"] != 0 || st["backoff"] == 0 || st["running"]+st["backoff"]+st["starting"] != n {
		t.Fatalf("after retries: %v, want running and backoff only", st)
	}
	if log := readLog(d.home); strings.Contains(log, "bad file descriptor") {
		t.Errorf("cfkd.log says bad file descriptor:\n%s", grepLines(log, "bad file descriptor", 5))
	}
	// a new admin connection is still accepted
	c2 := d.dial()
	if st := c2.states(); st["fatal"] != 0 {
		t.Errorf("second connection: %v", st)
	}

	// stop as many running services as there are waiting, and a few
	// more: every other one runs
	stopped := map[string]bool{}
	for _, l := range c.ok("command status") {
		f := strings.Split(l, "\t")
		if len(stopped) < st["backoff"]+st["starting"]+4 && f[1] == "running" {
			c.ok("command stop service " + f[0])
			stopped[f[0]] = true
		}
	}
	c.until("every service not stopped running", func() bool {
		for _, l := range c.ok("command status") {
			f := strings.Split(l, "\t")
			if !stopped[f[0]] && f[1] != "running" {
				return false
			}
		}
		return true
	})
	if st := c.states(); st["fatal"] != 0 || st["running"] != n-len(stopped) {
		t.Errorf("at the end: %v, want %d running", st, n-len(stopped))
	}
	c.ok("command stop all")
}

// cfkd's soft limit is raised to (just under) the hard one; its services
// start with the soft limit cfkd was given.
func TestFdLimitOfServices(t *testing.T) {
	d := startDaemonUlimit(t, 4096, "ulimit -Sn 256 && ulimit -Hn 4096")
	c := d.dial()
	c.ok(`service lim cmd=["/bin/sh", "-c", "echo soft=$(ulimit -Sn) hard=$(ulimit -Hn); exec sleep 1000"]`,
		"command start service lim")
	// the service's line, not the audit record of its declaration
	log := waitLog(t, d.home, "service.lim.out - soft=")
	if !strings.Contains(log, "service.lim.out - soft=256 hard=4096") {
		t.Errorf("the service's limits: %s, want soft=256 hard=4096", grepLines(log, "service.lim.out - soft=", 1))
	}
	log = waitLog(t, d.home, "open files: limit")
	limits, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", d.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`Max open files\s+4095\s+4096`).Match(limits) {
		t.Errorf("cfkd's limits:\n%s", limits)
	}
	if !strings.Contains(log, "open files: limit 4095 (hard 4096)") {
		t.Errorf("cfkd did not log its raised limit:\n%s", grepLines(log, "open files", 2))
	}
	c.ok("command stop service lim")
}

// grepLines returns up to max lines of log that contain s.
func grepLines(log, s string, max int) string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, s) && len(out) < max {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}
