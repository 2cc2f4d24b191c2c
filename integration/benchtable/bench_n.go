package main

import (
	"fmt"
	"path/filepath"
	"time"
)

// nResult is what one supervisor (or the baseline) measured with N
// services; a zero field was not measured.
type nResult struct {
	startReply   time.Duration // start request to its reply
	startDone    int           // the reply's `done K`
	startFails   []string      // its failure lines (services not started at once)
	startPids    time.Duration // start request to every service with a live pid
	startRunning time.Duration // start request to every service running
	stopExited   time.Duration // stop request to every process exited (zombie or reaped)
	stop         time.Duration // stop request to every process gone and the supervisor childless
	stopLeft     int           // processes not reaped (or children left) by the deadline
	stopReply    time.Duration // stop request to its reply
	stopStatus   time.Duration // stop request to status showing every one stopped
	rss, pss     int           // KiB, with N running
	rssIdle      int           // KiB, after the idle window
	fds          int
	idleCPU      time.Duration // over the idle window
	idleWorst    time.Duration // the most of any idleSlice of it
	rtt          []time.Duration
	rttWhat      string  // what a round trip is
	more         []round // the rounds after the first of the start and stop rows
}

// benchCfkd measures cfkd with n `sleep 1000` services; body is the last
// status reply (for the baseline server).
func benchCfkd(cl *cleaner, o *options, dir string, n int) (r nResult, body []string, err error) {
	d, c, done, err := session(cl, o, dir)
	if err != nil {
		return r, nil, err
	}
	defer o.keep(filepath.Join(dir, "cfkd.stderr"), fmt.Sprintf("n%d-cfkd.stderr", n))
	defer done()
	decl := make([]string, 0, 2*n)
	for i := 0; i < n; i++ {
		decl = append(decl, fmt.Sprintf("service s%d cmd=sleep 1000", i),
			fmt.Sprintf("service s%d startwait_secs=0.1", i))
	}
	if err := c.load(decl); err != nil {
		return r, nil, err
	}

	logf("cfkd N=%d: start all", n)
	prof := o.profile(d.pid(), fmt.Sprintf("n%d-start", n))
	running, err := startAllTimed(c, n, &r)
	prof()
	if err != nil {
		return r, nil, err
	}

	r.rss, r.pss = memKiB(d.pid())
	r.fds = fdCount(d.pid())
	o.memSnapshot(d.pid(), fmt.Sprintf("n%d-mem-running.txt", n))
	logf("cfkd N=%d: %d status round trips", n, o.rounds)
	r.rttWhat = "command status"
	prof = o.profile(d.pid(), fmt.Sprintf("n%d-status", n))
	r.rtt, err = roundTrips(d.sock, o.rounds, time.Minute)
	prof()
	if err != nil {
		return r, nil, err
	}
	if body, err = c.do("command status"); err != nil {
		return r, nil, err
	}
	logf("cfkd N=%d: idle for %v", n, o.idle)
	prof = o.profile(d.pid(), fmt.Sprintf("n%d-idle", n))
	r.idleCPU, r.idleWorst = idleCPU(d.pid(), o.idle)
	prof()
	r.rssIdle, _ = memKiB(d.pid())
	o.memSnapshot(d.pid(), fmt.Sprintf("n%d-mem-idle.txt", n))

	logf("cfkd N=%d: stop all", n)
	prof = o.profile(d.pid(), fmt.Sprintf("n%d-stop", n))
	err = stopAllTimed(c, d.pid(), running, &r)
	prof()
	if err != nil {
		return r, nil, err
	}
	repeat := o.repeatFor(n)
	for i := 1; i < repeat; i++ {
		logf("N=%d: start/stop round %d of %d (the baseline, its floor with pipes, then cfkd)", n, i+1, repeat)
		var rd round
		if rd.bStart, rd.bStop, err = baselineCycle(cl, n, false); err != nil {
			return r, nil, err
		}
		if _, rd.pStop, err = baselineCycle(cl, n, true); err != nil {
			return r, nil, err
		}
		cr, err := cfkdCycle(c, d.pid(), n)
		if err != nil {
			return r, nil, err
		}
		rd.cStart, rd.cStop, rd.cDone, rd.cFails = cr.startPids, cr.stop, cr.startDone, cr.startFails
		r.more = append(r.more, rd)
	}
	return r, body, nil
}

// stopDeadline bounds the wait for a stop: past it, the row says how many
// processes were still not reaped.
const stopDeadline = 60 * time.Second

// idleSlice is the span the idle target is set for (5 ms per 20 s).
const idleSlice = 20 * time.Second

// idleCPU is the CPU time pid uses over a window of d, and the most it
// used in any idleSlice of it (the window cut from its start; a last
// slice shorter than idleSlice counts too): a window longer than two
// minutes shows whether the Go runtime's collection every two minutes
// wakes the idle supervisor.
func idleCPU(pid int, d time.Duration) (total, worst time.Duration) {
	start := procCPU(pid)
	last := start
	for left := d; left > 0; left -= idleSlice {
		time.Sleep(min(left, idleSlice)) // the measurement window
		now := procCPU(pid)
		worst = max(worst, now-last)
		last = now
	}
	return last - start, worst
}

// poll is until for a condition that can fail.
func poll(d, step time.Duration, cond func() (bool, error)) error {
	var err error
	ok := until(d, step, func() bool {
		var done bool
		done, err = cond()
		return done || err != nil
	})
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("deadline of %v passed", d)
	}
	return nil
}

// benchSupervisord measures supervisord the same way, through XML-RPC.
func benchSupervisord(cl *cleaner, o *options, dir string, n int) (r nResult, err error) {
	s, err := startSupervisord(cl, o.supervisord, dir, sleepPrograms(n))
	if err != nil {
		return r, err
	}
	defer s.shutdown()
	var pids []int
	allState := func(pred func(procInfo) bool) (bool, error) {
		infos, err := s.infos()
		if err != nil {
			return false, err
		}
		pids = pids[:0]
		for _, p := range infos {
			if !pred(p) {
				return false, nil
			}
			pids = append(pids, p.pid)
		}
		return len(infos) == n, nil
	}
	logf("supervisord N=%d: startAllProcesses", n)
	t0 := time.Now()
	if _, err := s.rpc.call("supervisor.startAllProcesses", true); err != nil {
		return r, err
	}
	r.startReply = time.Since(t0)
	if err := poll(120*time.Second, 5*time.Millisecond, func() (bool, error) {
		return allState(func(p procInfo) bool { return p.pid > 0 && alive(p.pid) })
	}); err != nil {
		return r, fmt.Errorf("waiting for pids: %w", err)
	}
	r.startPids = time.Since(t0)
	if err := poll(120*time.Second, 5*time.Millisecond, func() (bool, error) {
		return allState(func(p procInfo) bool { return p.state == "RUNNING" })
	}); err != nil {
		return r, fmt.Errorf("waiting for RUNNING: %w", err)
	}
	r.startRunning = time.Since(t0)
	running := append([]int(nil), pids...)

	r.rss, r.pss = memKiB(s.pid())
	r.fds = fdCount(s.pid())
	logf("supervisord N=%d: getAllProcessInfo round trips", n)
	r.rttWhat = "getAllProcessInfo"
	rttStart := time.Now()
	for i := 0; i < o.rounds; i++ {
		t := time.Now()
		if _, err := s.infos(); err != nil {
			return r, err
		}
		r.rtt = append(r.rtt, time.Since(t))
		if i >= 20 && time.Since(rttStart) > 30*time.Second {
			break
		}
	}
	logf("supervisord N=%d: idle for %v", n, o.idle)
	r.idleCPU, r.idleWorst = idleCPU(s.pid(), o.idle)
	r.rssIdle, _ = memKiB(s.pid())

	logf("supervisord N=%d: stopAllProcesses", n)
	w := watchStop(running, s.pid())
	defer w.close()
	t0 = time.Now()
	w.start(t0)
	if _, err := s.rpc.call("supervisor.stopAllProcesses", true); err != nil {
		return r, err
	}
	r.stopReply = time.Since(t0)
	until(stopDeadline, 2*time.Millisecond, w.poll)
	r.stopExited, r.stop, r.stopLeft = w.exited, w.reaped, w.left()
	return r, nil
}
