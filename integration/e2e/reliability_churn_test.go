package e2e

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Churn tests of the reliability suite: many processes started and ended
// through the real cfkd, after which cfkd must be back where it started:
// no zombie child, no process left, as many fds (±10%) and about as much
// memory (see relCheckRecovered).
//
// Sizes (CFK_RELIABILITY=full / unset):
//   TestChurnStartStop   1,000 / 100 start+stop cycles of 10 services
//   TestChurnShortLived  10,000 / 500 short-lived processes

// TestChurnStartStop runs start/stop cycles over 10 services (`sleep
// 1000`, startwait_secs=0), alternately with `command start all` /
// `command stop all` and with one `command start|stop service NAME` per
// service. Each cycle waits (deadline-bounded polling of `command
// status`) for all 10 to be running with a live pid of their own (its
// environment names the service), then for all 10 to be stopped, their
// processes gone. Every 10th cycle no process of the home may be left.
// One cycle warms up before the baseline figures are taken.
func TestChurnStartStop(t *testing.T) {
	cycles := relSize(1000, 100)
	const nsvc = 10
	t.Logf("sizes: %s: %d cycles × %d services (%d processes)", relMode(), cycles, nsvc, cycles*nsvc)

	d := startDaemon(t, "")
	c := relDial(t, d)
	names := relNames("c", nsvc)
	for _, n := range names {
		c.ok("service "+n+" cmd=sleep 1000", "service "+n+" startwait_secs=0")
	}
	cfkd := d.cmd.Process.Pid
	home := "CFKD_HOME=" + d.home

	var cycleTimes []time.Duration
	cycle := func(i int) {
		t.Helper()
		start := time.Now()
		if i%2 == 0 {
			c.expect("command start all", fmt.Sprintf("done %d", nsvc))
		} else {
			for _, n := range names {
				c.expect("command start service "+n, "done 1")
			}
		}
		st := c.waitStates(deadline, names, "running")
		seen := map[int]string{}
		for _, n := range names {
			pid := st[n].pid
			if other, dup := seen[pid]; dup {
				t.Fatalf("cycle %d: %s and %s both have pid %d", i, n, other, pid)
			}
			seen[pid] = n
			if !relEnvHas(pid, "CONTROL_FREAK_SERVICE="+n) || !relEnvHas(pid, home) {
				t.Fatalf("cycle %d: pid %d of %s is not its process (gone, or another's): %s\n%s", i, pid, n, st[n].line, relPidEvidence(d, pid))
			}
		}
		if i%2 == 0 {
			c.expect("command stop all", fmt.Sprintf("done %d", nsvc))
		} else {
			for _, n := range names {
				c.expect("command stop service "+n, "done 1")
			}
		}
		c.waitStates(deadline, names, "stopped")
		// stopped is set once the exit was reaped: the pid is gone (a
		// pid reused that fast would not carry this home's environment)
		for pid, n := range seen {
			if relAlive(pid) && relEnvHas(pid, home) {
				t.Fatalf("cycle %d: %s is stopped but its pid %d still runs", i, n, pid)
			}
		}
		if i%10 == 0 || i == cycles {
			if left := relOwnProcs(d); len(left) > 0 {
				t.Fatalf("cycle %d: every service stopped, yet processes of this home run: %v", i, left)
			}
		}
		cycleTimes = append(cycleTimes, time.Since(start))
	}

	cycle(0) // warm-up
	base := relBaseline(t, d, c, names)
	cycleTimes = nil
	began := time.Now()
	var samples []string
	for i := 1; i <= cycles; i++ {
		cycle(i)
		if i%max(cycles/5, 1) == 0 {
			samples = append(samples, fmt.Sprintf("cycle %d: %.1f MiB", i, relMiB(relMemOf(cfkd).rss)))
		}
	}
	took := time.Since(began)
	sort.Slice(cycleTimes, func(i, j int) bool { return cycleTimes[i] < cycleTimes[j] })
	t.Logf("%d cycles (%d processes started and stopped) in %v: %.1f cycles/s, cycle p50 %v p99 %v max %v",
		cycles, cycles*nsvc, took.Round(time.Millisecond), float64(cycles)/took.Seconds(),
		relPct(cycleTimes, 50).Round(time.Microsecond), relPct(cycleTimes, 99).Round(time.Microsecond),
		cycleTimes[len(cycleTimes)-1].Round(time.Microsecond))
	t.Logf("cfkd's RSS during churn (every service stopped): %s", strings.Join(samples, ", "))
	relCheckRecovered(t, d, c, base)
}

// TestChurnShortLived has cfkd start many short-lived processes (`echo
// cfk-tick`: each writes one line, captured into the log, and exits 0)
// through both paths that restart a service whose process exited:
//
//   - "self" services (respawn_on_stop=1, startwait_secs=0): cfkd
//     respawns them by itself. The immediate respawn is the path of a
//     process that was running (REFERENCE §2.3); with startwait 0 the startwait
//     timer (armed for 0 s) usually reaches the service before the exit
//     does, but not always: an exit during `starting` goes through backoff
//     (0.3 s × k). Those backoffs are counted and logged; retries are set
//     high so that a run of them cannot end in fatal.
//   - "driven" services (respawn_on_stop=0, same startwait): the test
//     sends `command up tag driven` in a loop; each brings up those whose
//     process has exited.
//
// It counts processes in cfkd's log: one `starting NAME` per process
// launched. At the end every launched pid must have exactly one end
// (`child NAME exited` / terminated), and every process that exited 0
// must have its cfk-tick line logged (its output was not lost). A first
// round of a tenth of the size warms up before the baseline figures.
func TestChurnShortLived(t *testing.T) {
	total := relSize(10000, 500)
	const nself, ndriven = 5, 5
	t.Logf("sizes: %s: %d short-lived processes over %d self-respawning and %d driven services",
		relMode(), total, nself, ndriven)

	d := startDaemon(t, "")
	c := relDial(t, d)
	self, driven := relNames("self", nself), relNames("drv", ndriven)
	all := append(append([]string(nil), self...), driven...)
	for _, n := range self {
		c.ok("service "+n+" cmd=echo cfk-tick", "service "+n+" startwait_secs=0",
			"service "+n+" respawn_on_stop=1", "service "+n+" respawn_max_retries=1000", "service "+n+" tags=self")
	}
	for _, n := range driven {
		c.ok("service "+n+" cmd=echo cfk-tick", "service "+n+" startwait_secs=0", "service "+n+" tags=driven")
	}
	lg := &relLog{path: filepath.Join(d.home, "cfkd.log")}

	// round runs until the log holds at least target starts, then brings
	// everything down and waits until it is: all stopped, no process of
	// the home left, every start matched by its end.
	round := func(target int) time.Duration {
		t.Helper()
		began := time.Now()
		c.expectDone("command up all", len(all))
		end := time.Now().Add(relDuration(5*time.Minute, time.Minute))
		for lg.scan(t) < target {
			relDaemonCheck(t, d)
			if time.Now().After(end) {
				t.Fatalf("only %d processes started of %d (%s)", lg.starts, target, lg)
			}
			c.expectDone("command up tag driven", ndriven)
		}
		took := time.Since(began)
		c.expectDone("command down all", len(all))
		c.waitStates(deadline, all, "stopped")
		c.waitFor(deadline, "no process of the home left", func() (bool, string) {
			left := relOwnProcs(d)
			return len(left) == 0, fmt.Sprint(left)
		})
		c.waitFor(deadline, "every launched process's end in the log", func() (bool, string) {
			lg.scan(t)
			return lg.unmatched() == "", lg.unmatched()
		})
		return took
	}

	warm := max(total/10, 50)
	round(warm)
	t.Logf("warm-up: %s", lg)
	base := relBaseline(t, d, c, all)
	before := lg.starts
	took := round(before + total)
	n := lg.starts - before
	t.Logf("%d processes in %v: %.0f processes/s; log so far: %s", n, took.Round(time.Millisecond),
		float64(n)/took.Seconds(), lg)

	// every clean exit of echo comes after its write: its line must be in
	// the log (the output poller may log it after the exit: wait for it)
	c.waitFor(deadline, "a cfk-tick line for every clean exit", func() (bool, string) {
		lg.scan(t)
		return lg.lostOutput() == "", lg.lostOutput()
	})
	if lg.fatal > 0 {
		t.Errorf("%d services gave up (fatal) though retries were 1000", lg.fatal)
	}
	relCheckRecovered(t, d, c, base)
}

// relLog follows cfkd's log file and counts, per pid, the processes
// launched, ended and their cfk-tick lines. Text records are "TIME PID
// LEVEL CATEGORY - MESSAGE".
type relLog struct {
	path    string
	off     int64
	partial string

	starts, ends, clean, ticks, backoffs, fatal int
	perPid                                      map[int]*relPidCount
}

type relPidCount struct{ starts, ends, clean, ticks int }

func (l *relLog) String() string {
	return fmt.Sprintf("%d started, %d ended (%d exited 0), %d cfk-tick lines, %d backoffs, %d fatal",
		l.starts, l.ends, l.clean, l.ticks, l.backoffs, l.fatal)
}

// scan reads what was appended since the last call and returns the
// number of starts so far.
func (l *relLog) scan(t testing.TB) int {
	t.Helper()
	if l.perPid == nil {
		l.perPid = map[int]*relPidCount{}
	}
	f, err := os.Open(l.path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Seek(l.off, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReaderSize(f, 256<<10)
	for {
		s, err := r.ReadString('\n')
		l.off += int64(len(s))
		if err != nil { // keep a partial last line for the next scan
			l.partial += s
			return l.starts
		}
		l.line(l.partial + strings.TrimSuffix(s, "\n"))
		l.partial = ""
	}
}

func (l *relLog) line(s string) {
	f := strings.SplitN(s, " ", 6)
	if len(f) < 6 || f[4] != "-" {
		return
	}
	pidText, level, cat, msg := f[1], f[2], f[3], f[5]
	if cat == "cfkd" && level == "WARN" && strings.Contains(msg, "failed during start-up") {
		l.backoffs++
	}
	if cat == "cfkd" && strings.Contains(msg, "giving up after") {
		l.fatal++
	}
	pid, err := strconv.Atoi(pidText)
	if err != nil {
		return
	}
	pc := l.perPid[pid]
	if pc == nil {
		pc = &relPidCount{}
		l.perPid[pid] = pc
	}
	switch {
	case cat == "cfkd" && strings.HasPrefix(msg, "starting "):
		l.starts++
		pc.starts++
	case cat == "cfkd" && strings.HasPrefix(msg, "child ") && strings.Contains(msg, " exited "):
		l.ends++
		l.clean++
		pc.ends++
		pc.clean++
	case cat == "cfkd" && (strings.Contains(msg, "terminated by SIGTERM") || strings.HasPrefix(msg, "child terminated abnormally")):
		l.ends++
		pc.ends++
	case strings.HasPrefix(cat, "service.") && msg == "cfk-tick":
		l.ticks++
		pc.ticks++
	}
}

// unmatched lists (some of) the pids whose starts and ends differ.
func (l *relLog) unmatched() string {
	return l.pids(func(p *relPidCount) bool { return p.starts != p.ends })
}

// lostOutput lists (some of) the pids with fewer cfk-tick lines than
// clean exits, or more lines than processes.
func (l *relLog) lostOutput() string {
	return l.pids(func(p *relPidCount) bool { return p.ticks < p.clean || p.ticks > p.starts })
}

func (l *relLog) pids(bad func(*relPidCount) bool) string {
	var out []string
	for pid, p := range l.perPid {
		if bad(p) {
			out = append(out, fmt.Sprintf("pid %d: %+v", pid, *p))
		}
	}
	sort.Strings(out)
	if len(out) > 10 {
		out = append(out[:10], fmt.Sprintf("... (%d pids)", len(out)))
	}
	return strings.Join(out, "; ")
}

// relBase is cfkd's state after the warm-up.
type relBase struct {
	fds  []string
	mem  relMem
	reqs int // requests sent so far on the test's connection
}

// relBaseline waits until every named service is down and cfkd has no
// zombie child, then records its fds and memory.
func relBaseline(t *testing.T, d *daemon, c *relConn, names []string) relBase {
	t.Helper()
	cfkd := d.cmd.Process.Pid
	c.waitStates(deadline, names, "stopped")
	c.waitFor(deadline, "no zombie child of cfkd after the warm-up", func() (bool, string) {
		z := relZombies(cfkd)
		return len(z) == 0, fmt.Sprint(z)
	})
	b := relBase{fds: relFds(cfkd), mem: relMemOf(cfkd), reqs: c.sent}
	t.Logf("baseline after the warm-up: %d fds (%s); %v", len(b.fds), relFdKinds(b.fds), b.mem)
	return b
}

// relSlack is how far above its baseline cfkd's RSS may stay after
// churn: 10%. A Go process does not hand freed pages back at once (the
// garbage of the last cycles stays until the next GC, and the scavenger
// returns free pages gradually, minutes later), so cfkd trims itself 5 s
// after its last start or stop of a process (daemon/trim.go): the check
// waits for that, with a deadline. (Admin requests do not grow
// protoactor's process registry either: the console's replies come to the
// connection actor, not to a future per request.)
func relSlack(baseKB int) int { return baseKB / 10 }

// relCheckRecovered checks cfkd after churn, every service down: no
// zombie child, no process of the home left, its fds back within 10% of
// the baseline, and (without -race) its RSS back within relSlack of the
// baseline, each waited for with a deadline (a
// reap, a pipe close and the scavenger all take a moment).
//
// Under -race the RSS is logged, not checked: the race detector's shadow
// memory and its per-goroutine and per-sync-object state are never handed
// back and grow with every request and every process (measured: cfkd
// ~11 KB of RSS per start+stop cycle of a process, linear over 6,000; on
// protoactor alone, ~250 bytes per request with a flat Go heap), which
// would hide a leak and fail any fixed bound. The Go heap arenas cannot be
// told apart from it from outside either: Go 1.26 randomises their base.
func relCheckRecovered(t *testing.T, d *daemon, c *relConn, base relBase) {
	t.Helper()
	relDaemonCheck(t, d)
	cfkd := d.cmd.Process.Pid
	wait := func(limit time.Duration, what string, cond func() (bool, string)) bool {
		end := time.Now().Add(limit)
		for {
			ok, why := cond()
			if ok {
				return true
			}
			if time.Now().After(end) {
				t.Errorf("after %v, still not %s: %s", limit, what, why)
				return false
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	wait(deadline, "free of zombie children of cfkd", func() (bool, string) {
		z := relZombies(cfkd)
		return len(z) == 0, fmt.Sprintf("zombies %v", z)
	})
	wait(deadline, "free of processes of this home", func() (bool, string) {
		left := relOwnProcs(d)
		return len(left) == 0, fmt.Sprintf("left %v", left)
	})
	fdLimit := len(base.fds) + len(base.fds)/10
	var fds []string
	if !wait(deadline, fmt.Sprintf("back to ≤ %d fds (baseline %d + 10%%)", fdLimit, len(base.fds)), func() (bool, string) {
		fds = relFds(cfkd)
		return len(fds) <= fdLimit, fmt.Sprintf("%d fds: %s", len(fds), relFdKinds(fds))
	}) {
		t.Logf("fds now:\n%s\nbaseline:\n%s", strings.Join(fds, "\n"), strings.Join(base.fds, "\n"))
	}
	t.Logf("after churn: %d fds (%s), baseline %d", len(fds), relFdKinds(fds), len(base.fds))

	// memory: the figure at once, then (without -race) wait for the
	// scavenger to bring it within the limit
	peak := relPeakRSS(cfkd)
	right := relMemOf(cfkd)
	now := right
	limit := base.mem.rss + relSlack(base.mem.rss)
	began := time.Now()
	if !raceEnabled {
		wait(relDuration(60*time.Second, 20*time.Second), fmt.Sprintf("back to an RSS ≤ %.1f MiB", relMiB(limit)),
			func() (bool, string) {
				now = relMemOf(cfkd)
				return now.rss <= limit, now.String()
			})
	}
	t.Logf("memory: baseline %v; peak RSS %.1f MiB; right after churn %v; after %v %v (%+.1f%% of baseline)",
		base.mem, relMiB(peak), right, time.Since(began).Round(10*time.Millisecond), now, relPctOf(now.rss, base.mem.rss))
	check := "checked"
	if raceEnabled {
		check = "NOT checked under -race (the race detector's memory grows with every request and process: see relCheckRecovered)"
	}
	t.Logf("memory limit: baseline %.1f MiB + slack %.1f MiB = %.1f MiB (%d requests since the baseline), %s",
		relMiB(base.mem.rss), relMiB(relSlack(base.mem.rss)), relMiB(limit), c.sent-base.reqs, check)
}

func relPctOf(now, base int) float64 { return 100 * float64(now-base) / float64(max(base, 1)) }

// relPeakRSS is VmHWM, the peak RSS of the process, in KiB.
func relPeakRSS(pid int) int {
	n, _ := procStatusField(pid, "VmHWM")
	return n
}

// procStatusField is the number of the field name of /proc/PID/status
// (its first word: KiB for a size); false when the process or the field
// is not there.
func procStatusField(pid int, name string) (int, bool) {
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, l := range strings.Split(string(data), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == name+":" {
			n, err := strconv.Atoi(f[1])
			return n, err == nil
		}
	}
	return 0, false
}

// relPidEvidence is what /proc and cfkd's log say of pid, for a failure.
func relPidEvidence(d *daemon, pid int) string {
	var b strings.Builder
	st, ppid, ok := relProcStat(pid)
	fmt.Fprintf(&b, "/proc/%d/stat: present %v, state %q, ppid %d (cfkd %d)\n", pid, ok, st, ppid, d.cmd.Process.Pid)
	cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	var mine []string
	for _, kv := range strings.Split(string(env), "\x00") {
		if strings.HasPrefix(kv, "CFKD_HOME=") || strings.HasPrefix(kv, "CONTROL_FREAK_") {
			mine = append(mine, kv)
		}
	}
	fmt.Fprintf(&b, "cmdline %q; environ (err %v): %q\n", cmdline, err, mine)
	log, _ := os.ReadFile(filepath.Join(d.home, "cfkd.log"))
	want := " " + strconv.Itoa(pid) + " "
	for _, l := range strings.Split(string(log), "\n") {
		if strings.Contains(l, want) || strings.Contains(l, "pid="+strconv.Itoa(pid)) {
			b.WriteString("log: " + l + "\n")
		}
	}
	return b.String()
}
