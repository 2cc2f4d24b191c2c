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
	bStop, cStop   time.Duration // to every process reaped
}

// cfkdCycle starts every service (until each has a live pid, and until all
// are running) then stops them all (until each process is reaped). The
// daemon must have n services declared and all stopped.
func cfkdCycle(c *client, n int) (start, stop time.Duration, err error) {
	t0 := time.Now()
	rep, err := c.do("command start all")
	if err != nil {
		return 0, 0, err
	}
	if len(rep) == 0 || rep[0] != fmt.Sprintf("done %d", n) {
		return 0, 0, fmt.Errorf("start all: %q, want done %d", rep, n)
	}
	start = time.Since(t0)
	var pids []int
	if err := poll(60*time.Second, 5*time.Millisecond, func() (bool, error) {
		st, err := c.status("")
		if err != nil {
			return false, err
		}
		pids = pids[:0]
		for _, s := range st {
			if s.state != "running" || !alive(s.pid) {
				return false, nil
			}
			pids = append(pids, s.pid)
		}
		return len(st) == n, nil
	}); err != nil {
		return 0, 0, fmt.Errorf("waiting for running: %w", err)
	}
	t0 = time.Now()
	w := watchStop(pids, t0)
	if _, err := c.do("command stop all"); err != nil {
		return 0, 0, err
	}
	until(stopDeadline, 2*time.Millisecond, w.poll)
	if len(w.unreaped) > 0 {
		return 0, 0, fmt.Errorf("stop all: %d processes not reaped after %v", len(w.unreaped), stopDeadline)
	}
	if err := poll(stopDeadline, 5*time.Millisecond, func() (bool, error) {
		st, err := c.status("")
		for _, s := range st {
			if s.state != "stopped" {
				return false, err
			}
		}
		return err == nil, err
	}); err != nil {
		return 0, 0, fmt.Errorf("waiting for stopped: %w", err)
	}
	return start, w.reaped, nil
}

// baselineCycle is the baseline's start then stop of n processes.
func baselineCycle(cl *cleaner, n int) (start, stop time.Duration, err error) {
	b, start, err := startBaseline(cl, n)
	if err != nil {
		return 0, 0, err
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
