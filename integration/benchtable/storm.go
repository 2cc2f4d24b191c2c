package main

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// stormResult is one supervisor under the restart storm: K services whose
// command fails at once, kept retrying, over a window.
type stormResult struct {
	window  time.Duration
	cpu     time.Duration // the supervisor's CPU time over the window
	total   int           // starts of all services
	maxPer  int           // most starts of one service
	perName map[string]int
}

// stormCommand appends the service's name to the count file, then fails:
// one line per real start, whoever counts.
func stormCommand(countFile, name string) string {
	return fmt.Sprintf("echo %s >> %s; exit 1", name, countFile)
}

func countStarts(countFile string, k int) (total, maxPer int, per map[string]int) {
	data, _ := os.ReadFile(countFile)
	per = map[string]int{}
	for _, l := range strings.Fields(string(data)) {
		per[l]++
		total++
	}
	for _, v := range per {
		maxPer = max(maxPer, v)
	}
	return total, maxPer, per
}

// stormCfkd runs the storm on cfkd: respawn_on_fail on, 1000 retries (so
// they stay in backoff), default startwait (the command dies well within).
func stormCfkd(cl *cleaner, o *options, dir string) (res stormResult, err error) {
	d, c, done, err := session(cl, o, dir)
	if err != nil {
		return res, err
	}
	defer done()
	count := filepath.Join(dir, "starts")
	var decl []string
	for i := 0; i < o.stormK; i++ {
		name := fmt.Sprintf("storm%d", i)
		decl = append(decl, "service "+name+" cmd="+stormCommand(count, name),
			"service "+name+" respawn_on_fail=1",
			"service "+name+" respawn_max_retries=1000",
			"service "+name+" tags=storm")
	}
	if err := c.load(decl); err != nil {
		return res, err
	}
	cpu0 := procCPU(d.pid())
	t0 := time.Now()
	if _, err := c.do("command start tag storm"); err != nil {
		return res, err
	}
	time.Sleep(time.Until(t0.Add(o.storm))) // the measurement window
	res.cpu = procCPU(d.pid()) - cpu0
	res.window = time.Since(t0)
	res.total, res.maxPer, res.perName = countStarts(count, o.stormK)
	if _, err := c.do("command stop tag storm"); err != nil {
		logf("storm: stop: %v", err)
	}
	return res, nil
}

// stormSupervisord runs the same storm on supervisord: autorestart on
// unexpected exits, 1000 start retries, startsecs=1 (its own backoff: one
// more second per retry).
func stormSupervisord(cl *cleaner, o *options, dir string) (res stormResult, err error) {
	count := filepath.Join(dir, "starts")
	var progs []svProgram
	for i := 0; i < o.stormK; i++ {
		name := fmt.Sprintf("storm%d", i)
		progs = append(progs, svProgram{name: name,
			command: fmt.Sprintf("/bin/sh -c %q", stormCommand(count, name)),
			extra:   "startsecs=1\nstartretries=1000\nautorestart=unexpected\nexitcodes=0\nstdout_logfile=NONE\nstderr_logfile=NONE\n"})
	}
	s, err := startSupervisord(cl, o.supervisord, dir, progs)
	if err != nil {
		return res, err
	}
	defer s.shutdown()
	cpu0 := procCPU(s.pid())
	t0 := time.Now()
	if _, err := s.rpc.call("supervisor.startAllProcesses", false); err != nil {
		return res, err
	}
	time.Sleep(time.Until(t0.Add(o.storm))) // the measurement window
	res.cpu = procCPU(s.pid()) - cpu0
	res.window = time.Since(t0)
	res.total, res.maxPer, res.perName = countStarts(count, o.stormK)
	return res, nil
}

// backoffModel simulates REFERENCE §2.3's backoff for one service whose
// process fails at once: a start at 0, then after failure n a delay of
// k×0.3 s, k uniform in 1..2n−1. It returns the mean and the highest
// number of starts within w over trials services (fixed seed).
func backoffModel(w time.Duration, trials int) (mean float64, highest int) {
	rng := rand.New(rand.NewSource(1))
	total := 0
	for t := 0; t < trials; t++ {
		starts, at := 0, time.Duration(0)
		for n := 1; at < w; n++ {
			starts++
			k := 1 + rng.Intn(2*n-1)
			at += time.Duration(k) * 300 * time.Millisecond
		}
		total += starts
		highest = max(highest, starts)
	}
	return float64(total) / float64(trials), highest
}

// stormBound is the starts per service the backoff allows: the highest of
// 100,000 simulated services, plus 2 of slack (the count is read a little
// after the window ends). The model takes no time to run a process, so it
// only overestimates the starts a real supervisor can make.
func stormBound(w time.Duration) (bound int, mean float64) {
	mean, highest := backoffModel(w, 100000)
	return highest + 2, mean
}
