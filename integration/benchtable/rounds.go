package main

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// round is one interleaved sample of the start and stop rows: the
// baseline's start and stop, then cfkd's, one right after the other, so
// that both meet the same machine (on a shared VM, its speed moves by tens
// of percent within minutes).
type round struct {
	bStart, cStart time.Duration // to every process with a pid
	bStop, cStop   time.Duration // to every process gone, no child left
	pStop          time.Duration // the baseline's with pipes (baseline.go)
	cDone          int           // services cfkd's start all started (its `done N`)
	cFails         []string      // the failure lines of its reply
}

// startAllTimed sends `command start all` to a cfkd with n services
// declared and all stopped, and records in r when it replied and how many
// it started (its `done K` and failure lines: a service cfkd could not
// start at once waits in backoff), when every service had a live pid (the
// reply's moment when the first status after it shows them all: every one
// was launched before the reply), and when all were running. It returns
// their pids. A service seen `fatal` is an error.
func startAllTimed(c *client, n int, r *nResult) (pids []int, err error) {
	t0 := time.Now()
	rep, err := c.do("command start all")
	if err != nil {
		return nil, err
	}
	r.startReply = time.Since(t0)
	if len(rep) == 0 {
		return nil, fmt.Errorf("start all: empty reply, want done %d", n)
	}
	if _, err := fmt.Sscanf(rep[0], "done %d", &r.startDone); err != nil {
		return nil, fmt.Errorf("start all: %q, want done %d", rep[0], n)
	}
	r.startFails = rep[1:]
	all := func(pred func(svcStatus) bool) (bool, error) {
		st, err := c.status("")
		if err != nil {
			return false, err
		}
		pids = pids[:0]
		var fatal []string
		for _, s := range st {
			if s.state == "fatal" {
				fatal = append(fatal, s.name)
			}
		}
		if len(fatal) > 0 {
			return false, fmt.Errorf("%d services fatal (%s ...)", len(fatal), fatal[0])
		}
		for _, s := range st {
			if !pred(s) {
				return false, nil
			}
			pids = append(pids, s.pid)
		}
		return len(st) == n, nil
	}
	first := true
	if err := poll(60*time.Second, 5*time.Millisecond, func() (bool, error) {
		ok, err := all(func(s svcStatus) bool { return s.pid > 0 && alive(s.pid) })
		if ok {
			r.startPids = time.Since(t0)
			if first {
				r.startPids = r.startReply
			}
		}
		first = false
		return ok, err
	}); err != nil {
		return nil, fmt.Errorf("waiting for pids: %w", err)
	}
	if err := poll(60*time.Second, 5*time.Millisecond, func() (bool, error) {
		return all(func(s svcStatus) bool { return s.state == "running" })
	}); err != nil {
		return nil, fmt.Errorf("waiting for running: %w", err)
	}
	r.startRunning = time.Since(t0)
	return append([]int(nil), pids...), nil
}

// stopAllTimed sends `command stop all` to cfkd (process pid) and records
// in r when it replied, when every one of pids had exited, when every one
// was gone and cfkd had no child left (or how many were left, by
// stopDeadline), and when status showed every service stopped.
func stopAllTimed(c *client, pid int, pids []int, r *nResult) error {
	w := watchStop(pids, pid)
	defer w.close()
	t0 := time.Now()
	w.start(t0)
	if _, err := c.do("command stop all"); err != nil {
		return err
	}
	r.stopReply = time.Since(t0)
	until(stopDeadline, 2*time.Millisecond, w.poll)
	r.stopExited, r.stop, r.stopLeft = w.exited, w.reaped, w.left()
	if err := poll(stopDeadline, 5*time.Millisecond, func() (bool, error) {
		st, err := c.status("")
		for _, s := range st {
			if s.state != "stopped" {
				return false, err
			}
		}
		return err == nil, err
	}); err == nil {
		r.stopStatus = time.Since(t0)
	}
	return nil
}

// cfkdCycle is one more round of start all then stop all, on a cfkd
// (process pid) with n services declared and all stopped: the time to
// every pid, and to every process gone with no child of cfkd left.
func cfkdCycle(c *client, pid, n int) (r nResult, err error) {
	pids, err := startAllTimed(c, n, &r)
	if err != nil {
		return r, err
	}
	if err := stopAllTimed(c, pid, pids, &r); err != nil {
		return r, err
	}
	if r.stopLeft > 0 || r.stopStatus == 0 {
		return r, fmt.Errorf("stop all: %d processes not reaped (or children of cfkd left), or not all stopped, after %v", r.stopLeft, stopDeadline)
	}
	return r, nil
}

// baselineCycle is the baseline's start then stop of n processes (with
// pipes: the floor's, baseline.go).
//
// Between the two, untimed, it reads /proc/PID/stat of every child, as
// a cfkd round does to check that each pid is alive (startAllTimed): the
// kernel then has a /proc entry for each pid in both, and reaping a pid
// finds the same state in both (release_task drops its entries). (It
// did not change the baseline's stop of 9,000: 672 ms, against 670 in
// the run before.)
func baselineCycle(cl *cleaner, n int, pipes bool) (start, stop time.Duration, err error) {
	b, start, err := startBaseline(cl, n, pipes)
	if err != nil {
		return 0, 0, err
	}
	for _, pid := range b.pids {
		if !alive(pid) {
			b.kill()
			return 0, 0, fmt.Errorf("baseline: child %d is not alive after its start", pid)
		}
	}
	return start, b.stop(), nil
}

// medianRatio is the median over the rounds of cfkd's figure over the
// baseline's, with the medians of both and the ratios in round order.
func medianRatio(rs []round, pick func(round) (base, cfk time.Duration)) (base, cfk time.Duration, ratio float64, all string) {
	var bs, cs []time.Duration
	var ratios []float64
	var each []string
	for _, r := range rs {
		b, c := pick(r)
		bs, cs = append(bs, b), append(cs, c)
		x := float64(c) / float64(b)
		ratios = append(ratios, x)
		each = append(each, fmt.Sprintf("%.2f×", x))
	}
	sort.Slice(bs, func(i, j int) bool { return bs[i] < bs[j] })
	sort.Slice(cs, func(i, j int) bool { return cs[i] < cs[j] })
	sort.Float64s(ratios)
	m := len(rs) / 2
	return bs[m], cs[m], ratios[m], strings.Join(each, ", ")
}
