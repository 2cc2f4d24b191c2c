package main

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/cfk/cfk/osproc"
)

// Targets (the issues' acceptance numbers) that do not depend on N.
const (
	idleTarget    = 5 * time.Millisecond // per 20 s of idle
	logTarget     = 0.8                  // 64 KiB writes: ≥ 0.8× the direct writer
	logEachTarget = 1.0                  // one write(2) per line: ≥ 1× the direct writer
	stormCPUFrac  = 0.10                 // of one core
	startwait     = 100 * time.Millisecond
)

// targets are the acceptance numbers of one table.
type targets struct {
	start, stop float64       // ≤ this × the bare loop
	rss         int           // KiB
	p50         time.Duration // status round trip
}

// svMaxN is the largest N supervisord is measured at: above, its column
// stays empty (it would take very long).
const svMaxN = 1000

// bigN is where the targets of issue 11 (N = 9,000) take over from those
// of N = 1,000, which also hold at N = 200 (and at -quick's 20).
const bigN = 1000

// targetsFor is the targets at n services.
func targetsFor(n int) targets {
	if n > bigN {
		return targets{start: 1.3, stop: 1.5, rss: 80 * 1024, p50: 5 * time.Millisecond}
	}
	return targets{start: 1.5, stop: 2.0, rss: 30 * 1024, p50: 2 * time.Millisecond}
}

// benchN measures the baseline, cfkd and supervisord with n services and
// returns their table. An error is cfkd's or the baseline's; supervisord's
// go into a note.
func benchN(cl *cleaner, o *options, dir string, n int) (*table, error) {
	t := &table{title: fmt.Sprintf("N = %d services", n)}
	tg := targetsFor(n)
	if err := fdRoomFor(n); err != nil {
		return t, err
	}
	logf("baseline N=%d: fork/exec loop", n)
	bStart, bStop, err := baselineCycle(cl, n, false)
	if err != nil {
		return t, err
	}
	logf("baseline N=%d: fork/exec loop, 2 pipes per child", n)
	_, pStop, err := baselineCycle(cl, n, true)
	if err != nil {
		return t, err
	}

	c, body, err := benchCfkd(cl, o, filepath.Join(dir, "cfkd"), n)
	if err != nil {
		return t, err
	}
	sock, err := statusServer(cl, dir, body)
	if err != nil {
		return t, err
	}
	logf("baseline N=%d: %d round trips to a plain socket server", n, o.rounds)
	bRTT, err := roundTrips(sock, o.rounds, time.Minute)
	if err != nil {
		return t, err
	}
	pipes, err := benchPipelined(cl, o, filepath.Join(dir, "pipelined"), n)
	if err != nil {
		return t, fmt.Errorf("pipelined declarations: %w", err)
	}
	var s nResult
	svSkipped := o.supervisord != "" && n > svMaxN
	if o.supervisord != "" && !svSkipped {
		if s, err = benchSupervisord(cl, o, filepath.Join(dir, "supervisord"), n); err != nil {
			t.note("supervisord failed: %v (its cells are empty)", err)
			s = nResult{}
		}
	}
	win := fmt.Sprintf("%gs", o.idle.Seconds())
	idleMax := time.Duration(float64(idleTarget) * o.idle.Seconds() / 20)
	cp50, bp50, sp50 := pct(c.rtt, 50), pct(bRTT, 50), pct(s.rtt, 50)
	cp99, bp99, sp99 := pct(c.rtt, 99), pct(bRTT, 99), pct(s.rtt, 99)
	rounds := append([]round{{bStart: bStart, cStart: c.startPids, bStop: bStop, cStop: c.stop, pStop: pStop, cDone: c.startDone, cFails: c.startFails}}, c.more...)
	started, startedOK, fails := startedCell(rounds, n)
	mbStart, mcStart, startRatio, startEach := medianRatio(rounds, func(r round) (time.Duration, time.Duration) { return r.bStart, r.cStart })
	mbStop, mcStop, stopRatio, stopEach := medianRatio(rounds, func(r round) (time.Duration, time.Duration) { return r.bStop, r.cStop })
	mpStop, _, floorRatio, floorEach := medianRatio(rounds, func(r round) (time.Duration, time.Duration) { return r.pStop, r.cStop })
	_, _, pipesRatio, _ := medianRatio(rounds, func(r round) (time.Duration, time.Duration) { return r.bStop, r.pStop })
	rows := []row{
		{metric: startMetric(len(rounds)), base: dur(mbStart), cfk: dur(mcStart), ratio: fmt.Sprintf("%.2f×", startRatio),
			target: fmt.Sprintf("≤ %.1f×", tg.start), verdict: verdict(startRatio <= tg.start),
			sv: dur(s.startPids), svRatio: dratio(s.startPids, bStart)},
		{metric: "start all: services started at once, none fatal", cfk: started, target: "all", verdict: verdict(startedOK)},
		{metric: "start → all running (startwait 0.1 s)", base: dur(bStart + startwait), cfk: dur(c.startRunning),
			ratio: dratio(c.startRunning, bStart+startwait), sv: dur(s.startRunning), svRatio: dratio(s.startRunning, bStart+startwait)},
		{metric: "stop all → all exited (zombie or reaped)", cfk: dur(c.stopExited), sv: dur(s.stopExited)},
		{metric: stopMetric(len(rounds)), base: dur(mbStop), cfk: stopMedianCell(c, mcStop),
			ratio:  fmt.Sprintf("%.2f×", stopRatio),
			target: fmt.Sprintf("≤ %.1f×", tg.stop), verdict: verdict(c.stopLeft == 0 && stopRatio <= tg.stop),
			sv: stopCell(s), svRatio: dratio(s.stop, bStop)},
		{metric: "stop all: cfkd against the bare loop with 2 pipes per child (the floor)", base: dur(mpStop), cfk: dur(mcStop),
			ratio: fmt.Sprintf("%.2f×", floorRatio)},
		{metric: "RSS, N running", cfk: mib(c.rss), target: fmt.Sprintf("≤ %d MiB", tg.rss/1024), verdict: verdict(c.rss <= tg.rss), sv: mib(s.rss)},
		{metric: "RSS after the idle window", cfk: mib(c.rssIdle), target: fmt.Sprintf("≤ %d MiB", tg.rss/1024), verdict: verdict(c.rssIdle <= tg.rss), sv: mib(s.rssIdle)},
		{metric: "PSS, N running", cfk: mib(c.pss), sv: mib(s.pss)},
		{metric: "open fds", cfk: fmt.Sprint(c.fds), sv: count(s.fds)},
		{metric: "idle CPU over " + win, base: "", cfk: dur3(c.idleCPU), target: "≤ " + dur3(idleMax),
			verdict: verdict(c.idleCPU <= idleMax), sv: cond(s.rss > 0, dur3(s.idleCPU))},
		{metric: fmt.Sprintf("status round trip p50 (%d rounds)", len(c.rtt)), base: dur(bp50), cfk: dur(cp50), ratio: dratio(cp50, bp50),
			target: fmt.Sprintf("≤ %g ms", tg.p50.Seconds()*1000), verdict: verdict(cp50 <= tg.p50), sv: dur(sp50), svRatio: dratio(sp50, bp50)},
		{metric: "status round trip p99", base: dur(bp99), cfk: dur(cp99), ratio: dratio(cp99, bp99),
			sv: dur(sp99), svRatio: dratio(sp99, bp99)},
	}
	if o.idle > idleSlice {
		rows = append(rows, row{metric: fmt.Sprintf("idle CPU, the most in one %gs slice of the window", idleSlice.Seconds()),
			cfk: dur3(c.idleWorst), target: "≤ " + dur3(idleTarget), verdict: verdict(c.idleWorst <= idleTarget),
			sv: cond(s.rss > 0, dur3(s.idleWorst))})
	}
	pipe, pipeNote := pipeRow(pipes, n)
	rows = append(rows, pipe)
	for _, r := range rows {
		t.add(r)
	}
	if len(rounds) > 1 {
		t.note("start and stop: the median of %d interleaved rounds (the baseline's, then cfkd's), ratio the median of each round's: start %s; stop %s. supervisord: one round",
			len(rounds), startEach, stopEach)
	}
	if len(fails) > 0 {
		t.note("start all: services not started at once (the reply's failure lines, first %d): %s", len(fails), strings.Join(fails, "; "))
	}
	t.note("baseline start: this tool fork/execs the N sleeps itself in a loop (setsid, stdio on /dev/null); \"all running\" baseline = that + the 0.1 s startwait")
	t.note("cfkd start → pids: the `done %d` reply came after %s; status then showed every pid alive", n, dur(c.startReply))
	t.note("stop: until every pid is gone (reaped: its pidfd says so) and the supervisor has no child left (its threads' /proc/PID/task/TID/children empty); baseline: SIGTERM to each child, then wait4 each; cfkd's reply to `command stop all` came after %s, its status showed all stopped after %s",
		dur(c.stopReply), orNever(dur(c.stopStatus)))
	t.note("stop floor: the bare loop whose children's stdout and stderr are 2 pipes instead of /dev/null, their read ends held by this tool, which reads nothing and closes them once all are reaped (in the time): what any supervisor that keeps its services' output must at least do. Its stop against the bare loop's, median of each round's ratio: %.2f×; cfkd against it in each round: %s", pipesRatio, floorEach)
	t.note("baseline round trip: a plain UNIX socket server answering cfkd's %d-line status reply through the same codec", len(body))
	t.note("%s", pipeNote)
	if svSkipped {
		t.note("supervisord: not run at N = %d (above %d): its start of 1,000 took 4.3 s and each status round trip 0.6 s (docs/BENCHMARKS.md), so %d would take very long; its column is empty", n, svMaxN, n)
	}
	if o.supervisord != "" && len(s.rtt) > 0 {
		t.note("supervisord: startsecs=0 (whole seconds only), XML-RPC over its UNIX socket; round trip = %s (%d rounds, HTTP keep-alive); startAllProcesses(wait) returned after %s",
			s.rttWhat, len(s.rtt), dur(s.startReply))
	}
	return t, nil
}

// benchOnce measures what does not depend on N: log throughput and the
// restart storm.
func benchOnce(cl *cleaner, o *options, dir string) (*table, error) {
	t := &table{title: "Independent of N: log throughput, restart storm"}
	var logs []logRun
	for _, each := range []bool{false, true} {
		r := logRun{each: each, what: "64 KiB writes, as stdio buffers", target: logTarget}
		if each {
			r.what, r.target = "one write(2) per line, as a logging library", logEachTarget
		}
		sub := fmt.Sprintf("%v", each)
		// interleaved rounds: the direct writer, cfkd, supervisord, so
		// that all meet the same machine
		for k := range o.logRounds {
			var lr logRound
			var err error
			logf("log (%s), round %d/%d: direct writer, %d lines", r.what, k+1, o.logRounds, o.logLines)
			if lr.direct, err = logDirect(cl, mkdir(filepath.Join(dir, fmt.Sprintf("direct-%s-%d", sub, k))), o.logLines, each); err != nil {
				return t, err
			}
			logf("log: through the minimal formatter")
			if lr.floor, err = logFloor(cl, mkdir(filepath.Join(dir, fmt.Sprintf("floor-%s-%d", sub, k))), o.logLines, each, floorFormatter); err != nil {
				return t, err
			}
			logf("log: through the raw copier")
			if lr.copier, err = logFloor(cl, mkdir(filepath.Join(dir, fmt.Sprintf("copier-%s-%d", sub, k))), o.logLines, each, floorCopier); err != nil {
				return t, err
			}
			logf("log: through cfkd")
			if lr.cfk, err = logCfkd(cl, o, filepath.Join(dir, fmt.Sprintf("log-cfkd-%s-%d", sub, k)), each); err != nil {
				return t, err
			}
			if o.supervisord != "" {
				logf("log: through supervisord")
				if lr.supd, err = logSupervisord(cl, o, filepath.Join(dir, fmt.Sprintf("log-supervisord-%s-%d", sub, k)), each); err != nil {
					t.note("supervisord log test failed: %v", err)
				}
			}
			r.rounds = append(r.rounds, lr)
		}
		logs = append(logs, r)
	}
	if o.onlyLog {
		t.title = "Log throughput"
		addLogRows(t, o, logs)
		return t, nil
	}
	logf("storm: cfkd, %d services, %v", o.stormK, o.storm)
	cs, err := stormCfkd(cl, o, filepath.Join(dir, "storm-cfkd"))
	if err != nil {
		return t, err
	}
	var ss stormResult
	if o.supervisord != "" {
		logf("storm: supervisord")
		if ss, err = stormSupervisord(cl, o, filepath.Join(dir, "storm-supervisord")); err != nil {
			t.note("supervisord storm failed: %v", err)
		}
	}
	bound, mean := stormBound(o.storm)
	cpuMax := time.Duration(stormCPUFrac * float64(cs.window))
	addLogRows(t, o, logs)
	t.add(row{metric: fmt.Sprintf("restart storm: starts per service, mean / max (K=%d, %gs)", o.stormK, o.storm.Seconds()),
		base: fmt.Sprintf("model: %.1f", mean), cfk: stormStarts(cs, o.stormK),
		target: fmt.Sprintf("max ≤ %d (backoff)", bound), verdict: holds(cs.maxPer <= bound && cs.total > 0),
		sv: stormStarts(ss, o.stormK)})
	t.add(row{metric: "restart storm: CPU over the window", cfk: stormCPU(cs), target: fmt.Sprintf("≤ %.0f%% of a core", 100*stormCPUFrac),
		verdict: verdict(cs.cpu <= cpuMax), sv: stormCPU(ss)})
	t.note("storm: each start of a service appends a line to a file (`echo NAME >> FILE; exit 1`); the model is REFERENCE §2.3's backoff (after failure n, k × 0.3 s, k uniform in 1..2n−1) simulated with a zero run time: its mean, and its highest of 100,000 services + 2 as the bound")
	if o.supervisord != "" {
		t.note("supervisord storm: startsecs=1, startretries=1000, autorestart=unexpected (its own backoff adds one second per retry)")
	}
	return t, nil
}

// startedCell says how many services each round's start all started at
// once (its `done K` with no failure line), and whether all did in every
// round (none was fatal: startAllTimed fails the run then); fails are the
// first few failure lines.
func startedCell(rounds []round, n int) (cell string, ok bool, fails []string) {
	least, ok := n, true
	for _, r := range rounds {
		least = min(least, r.cDone)
		ok = ok && r.cDone == n && len(r.cFails) == 0
		for _, f := range r.cFails {
			if len(fails) < 5 {
				fails = append(fails, f)
			}
		}
	}
	every := ""
	if len(rounds) > 1 {
		every = fmt.Sprintf(" in each of %d rounds", len(rounds))
	}
	if ok {
		return fmt.Sprintf("%d of %d%s, none fatal", n, n, every), true, nil
	}
	return fmt.Sprintf("%d of %d in the worst of %d rounds, none fatal", least, n, len(rounds)), false, fails
}

// fdRoomFor checks that a cfkd started by this process can hold n running
// services: cfkd's soft limit of open files goes up to the hard one (Go's
// runtime raises it), each running service holds osproc.FdsPerService fds,
// and cfkd keeps a reserve (daemon/fdlimit.go); 64 fds are counted for
// what cfkd opens itself.
func fdRoomFor(n int) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	if room := osproc.ServiceRoom(lim.Max, 64); room < n {
		return fmt.Errorf("the hard limit of open files (%d) holds about %d running services in cfkd, not %d: raise it (ulimit -Hn, LimitNOFILE) or leave this N out (-n)", lim.Max, room, n)
	}
	return nil
}

func startMetric(rounds int) string {
	if rounds > 1 {
		return fmt.Sprintf("start → all have pids (median of %d)", rounds)
	}
	return "start → all have pids"
}

func stopMetric(rounds int) string {
	if rounds > 1 {
		return fmt.Sprintf("stop all → every pid gone, no child left (median of %d)", rounds)
	}
	return "stop all → every pid gone, no child left"
}

// stopMedianCell is the median stop, or what the first stop left
// unreaped.
func stopMedianCell(c nResult, median time.Duration) string {
	if c.stopLeft > 0 {
		return stopCell(c)
	}
	return dur(median)
}

// logRound is one interleaved sample of a log row.
type logRound struct {
	direct    float64 // lines/s
	floor     float64 // lines/s through the minimal formatter (floor_log.go)
	copier    float64 // lines/s through the raw copier (floor_log.go)
	cfk, supd logResult
}

// logRun is the rounds of one log row (one writer).
type logRun struct {
	each   bool
	what   string
	target float64
	rounds []logRound
}

// addLogRows adds the log rows: the median of each column over the
// rounds, and as ratio the median of each round's ratio.
func addLogRows(t *table, o *options, logs []logRun) {
	for _, l := range logs {
		var ds, cs, ss, cr, sr []float64
		complete := true
		var each []string
		var cpus []float64
		for _, r := range l.rounds {
			cpus = append(cpus, float64(r.cfk.cpu))
			ds, cs = append(ds, r.direct), append(cs, r.cfk.rate)
			cr = append(cr, r.cfk.rate/r.direct)
			each = append(each, fmt.Sprintf("%.2f×", r.cfk.rate/r.direct))
			complete = complete && r.cfk.complete
			if r.supd.rate > 0 {
				ss, sr = append(ss, r.supd.rate), append(sr, r.supd.rate/r.direct)
			}
		}
		c := logResult{rate: medianF(cs), complete: complete}
		cratio := medianF(cr)
		sv := logResult{rate: medianF(ss), complete: true}
		for _, r := range l.rounds {
			sv.complete = sv.complete && (r.supd.rate == 0 || r.supd.complete)
		}
		metric := fmt.Sprintf("log lines/s into the service's log file (%d × 100 B, %s)", o.logLines, l.what)
		if len(l.rounds) > 1 {
			metric += fmt.Sprintf(", median of %d", len(l.rounds))
		}
		t.add(row{metric: metric,
			base: rate(medianF(ds)), cfk: rate(c.rate) + incomplete(c), ratio: fratio(cratio),
			target: fmt.Sprintf("≥ %.1f×", l.target), verdict: verdict(c.complete && cratio >= l.target),
			sv: rate(sv.rate) + incomplete(sv), svRatio: fratio(medianF(sr))})
		if len(l.rounds) > 1 {
			t.note("log (%s): ratio the median of each round's (direct, the floor, the raw copier, then cfkd, interleaved): %s", l.what, strings.Join(each, ", "))
		}
		var fs, fr, cf, rr []float64
		for _, r := range l.rounds {
			fs, fr, cf = append(fs, r.floor), append(fr, r.floor/r.direct), append(cf, r.cfk.rate/r.floor)
			rr = append(rr, r.copier/r.direct)
		}
		t.add(row{metric: fmt.Sprintf("log (%s): cfkd against the minimal formatter (the floor)", l.what),
			base: rate(medianF(fs)), cfk: rate(c.rate) + incomplete(c), ratio: fratio(medianF(cf))})
		t.note("log (%s): the minimal formatter against the direct writer, median of each round's ratio: %s", l.what, fratio(medianF(fr)))
		t.note("log (%s): the raw copier against the direct writer, median of each round's ratio: %s (the pipe's own cost, with no record)", l.what, fratio(medianF(rr)))
		cpu := time.Duration(medianF(cpus))
		t.note("log (%s): cfkd's CPU from the start request to the last line, median: %s, %.0f ns a line", l.what, dur(cpu), float64(cpu.Nanoseconds())/float64(o.logLines))
	}
	t.note("log: the same writer (this tool's -writer mode: 64 KiB writes, or one write(2) per line) either straight into a file (baseline) or as a service whose output the supervisor logs to a file of its own; time from the start request to the last line in the file. cfkd writes each line as a record (time, pid, level, category, line: 159 B here); supervisord copies the bytes as they are. The minimal formatter (the floor): the writer's output through a pipe to one thread of this tool that reads 128 KiB at a time, puts a header of cfkd's length before each line, and writes each read's records with one write(2): what any supervisor that writes records must at least do. The raw copier: the same pipe into one thread of this tool that writes each read's bytes as they are, 128 KiB at a time: what the pipe costs before any record is made")
}

// medianF is the median of xs (0 when empty).
func medianF(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// fratio prints a ratio as "1.23×", empty when missing.
func fratio(x float64) string {
	if x <= 0 {
		return ""
	}
	return fmt.Sprintf("%.2f×", x)
}
