package upgrade

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/osproc"
)

// consistent refuses a state that no cfkd writes, whose adoption would
// fail, hang or mis-supervise: every name once (services, sockets,
// proxies, the services of a proxy), every pid once (the services' runs
// and the proxies' processes), every lifecycle within the lifecycle's
// range and as an export leaves it (no launch awaited, no request to
// answer, no event deferred; a process for every run that is up, but a
// proxied one whose pid is not reported yet), every service under a
// declared proxy, and a proxy's pipes all or none (none when it is down).
func (s *State) consistent() error {
	sockets := map[string]bool{}
	for _, k := range s.Sockets {
		n := k.Config.Name
		if n == "" {
			return errors.New("a socket has no name")
		}
		if sockets[n] {
			return fmt.Errorf("socket %q named twice", n)
		}
		sockets[n] = true
	}
	pids := map[int]string{}
	claim := func(pid int, who string) error {
		if !isPid(pid) {
			return fmt.Errorf("%s: pid %d is not a process", who, pid)
		}
		if pid == 0 {
			return nil
		}
		if other, ok := pids[pid]; ok {
			return fmt.Errorf("pid %d named twice: by %s and by %s", pid, other, who)
		}
		pids[pid] = who
		return nil
	}
	proxies, now := map[string]bool{}, osproc.BootTicks()
	for _, p := range s.Proxies {
		n := p.Config.Name
		if n == "" {
			return errors.New("a proxy has no name")
		}
		if proxies[n] {
			return fmt.Errorf("proxy %q named twice", n)
		}
		proxies[n] = true
		pipes := 0
		for _, fd := range []int{p.CmdFd, p.StatusFd, p.LogFd} {
			if fd >= 0 {
				pipes++
			}
		}
		switch {
		case !p.Running && pipes != 0:
			return fmt.Errorf("proxy %q is down but names pipes (cmd %d, status %d, log %d)", n, p.CmdFd, p.StatusFd, p.LogFd)
		case p.Running && pipes != 0 && pipes != 3:
			return fmt.Errorf("proxy %q runs with only some of its pipes (cmd %d, status %d, log %d)", n, p.CmdFd, p.StatusFd, p.LogFd)
		}
		if !isPid(p.Pid) {
			return fmt.Errorf("proxy %q: pid %d is not a process", n, p.Pid)
		}
		if p.Running {
			if p.Pid == 0 {
				return fmt.Errorf("proxy %q runs with no process", n)
			}
			if err := claim(p.Pid, fmt.Sprintf("proxy %q", n)); err != nil {
				return err
			}
		}
		runs := map[string]bool{}
		for _, ps := range p.Services {
			if ps.Name == "" || runs[ps.Name] {
				return fmt.Errorf("proxy %q: service %q: no name, or named twice", n, ps.Name)
			}
			runs[ps.Name] = true
			if !isPid(ps.Pid) { // a state before version 7 makes its start of it
				return fmt.Errorf("proxy %q: service %q: pid %d is not a process", n, ps.Name, ps.Pid)
			}
			if !isPid(ps.LastPid) {
				return fmt.Errorf("proxy %q: service %q: last pid %d is not a process", n, ps.Name, ps.LastPid)
			}
			if ps.Gone && (ps.LastPid == 0 || ps.Up || ps.Pid != 0 || len(ps.Starts) > 0) {
				// a name asked nothing any more is kept for its last
				// lines alone: no process of it is left to report
				return fmt.Errorf("proxy %q: service %q: gone, with no last pid or with a process or starts", n, ps.Name)
			}
			if err := startsConsistent(ps.Starts, now); err != nil {
				return fmt.Errorf("proxy %q: service %q: %w", n, ps.Name, err)
			}
			if ps.Starts != nil && ps.Pid != 0 && !slices.ContainsFunc(ps.Starts, func(st ProxiedStart) bool { return st.Pid == ps.Pid }) {
				// the exit of that process would be an unknown service's:
				// its service would stay up with no process (a state
				// before version 7 names no start: the pid's is made)
				return fmt.Errorf("proxy %q: service %q: pid %d is of none of its starts", n, ps.Name, ps.Pid)
			}
		}
	}
	for _, svc := range s.Services {
		n, lc := svc.Config.Name, svc.Lifecycle
		// the lifecycle's table has one row per messages.State, those
		// State.String names (Next indexes it by the state)
		if st, ok := messages.ParseState(lc.State.String()); !ok || st != lc.State {
			return fmt.Errorf("service %q: state %d is not a state of the lifecycle", n, int(lc.State))
		}
		if lc.Want.String() == "unknown" {
			return fmt.Errorf("service %q: want %d is not a want of the lifecycle", n, int(lc.Want))
		}
		if lc.Timer.String() == "unknown" {
			return fmt.Errorf("service %q: timer %d is not a timer of the lifecycle", n, int(lc.Timer))
		}
		if lc.Attempt >= maxCounter || lc.Gen >= maxCounter {
			// no cfkd counts that far (a launch or a timer a nanosecond
			// for 146 years): the next one would wrap around to 0, which
			// the lifecycle takes for no launch awaited, and the process
			// it launched would run unsupervised
			return fmt.Errorf("service %q: attempt %d, timer generation %d: no cfkd counts that far", n, lc.Attempt, lc.Gen)
		}
		if lc.Launching != 0 {
			return fmt.Errorf("service %q awaits the outcome of launch %d (launching): an export never leaves one awaited", n, lc.Launching)
		}
		if len(lc.Waiters) != 0 || len(lc.Deferred) != 0 {
			return fmt.Errorf("service %q has %d waiting requests and %d deferred events: an export clears them", n, len(lc.Waiters), len(lc.Deferred))
		}
		if p := svc.Config.Proxy; p != "" && !proxies[p] {
			return fmt.Errorf("service %q runs under proxy %q, which is not declared", n, p)
		}
		if !isPid(lc.Pid) {
			return fmt.Errorf("service %q: pid %d is not a process", n, lc.Pid)
		}
		if lc.State.IsUp() {
			if lc.Pid == 0 && !lc.Proxied {
				// only a proxy may not have reported the pid yet: a direct
				// run without one could never be signalled nor end
				return fmt.Errorf("service %q is %s with no process", n, lc.State)
			}
			if err := claim(lc.Pid, fmt.Sprintf("service %q", n)); err != nil {
				return err
			}
		}
	}
	return requiresCycle(s.Services)
}

// isPid says pid is 0 (none) or may be a process's: the kernel's pid_t
// is 32 bits, and a pid past it is cut to its low 32 bits by kill(2)
// and pidfd_open(2): 4294967295 would be kill(-1, SIGTERM) at the stop
// (every process cfkd's user may signal), 4294967297 init's.
func isPid(pid int) bool { return pid >= 0 && pid <= math.MaxInt32 }

// startsConsistent refuses the starts of a proxied service that no proxy
// actor keeps: a pid below 0, a start after the one the service has not
// given up (a service has one start at a time: its latest), one not
// given up with no start line sent after it but a next start's time,
// and times out of the order a proxy actor stamps them (startTimes).
func startsConsistent(starts []ProxiedStart, now uint64) error {
	for i, st := range starts {
		if !isPid(st.Pid) {
			return fmt.Errorf("start %d: pid %d is not a process", i+1, st.Pid)
		}
		if !st.Left && (i != len(starts)-1 || st.Next != 0) {
			return fmt.Errorf("start %d is not given up, but a later start was sent", i+1)
		}
		if err := startTimes(starts, i, now); err != nil {
			return fmt.Errorf("start %d: sent %d, next %d: %w", i+1, st.Sent, st.Next, err)
		}
	}
	return nil
}

// startTimes refuses the times of start i that no proxy actor stamps
// (osproc.BootTicks; 0: none): its next start's time before its own, or
// after the time of the start that followed it (the time of one taken
// back may lie between), none while the start that followed it has one,
// or a time after now (now 0: no clock to tell). The exit of a start
// given up ends the orphans of its service started from its time to its
// next start's (or the exit): such times would end those of the
// service's later runs, which are not that start's.
func startTimes(starts []ProxiedStart, i int, now uint64) error {
	st := starts[i]
	switch {
	case st.Next != 0 && st.Next < st.Sent:
		return errors.New("its next start was sent before it")
	case now != 0 && (st.Sent > now || st.Next > now):
		return fmt.Errorf("a time after now (%d)", now)
	case i+1 < len(starts) && starts[i+1].Sent != 0 && (st.Next == 0 || st.Next > starts[i+1].Sent):
		return fmt.Errorf("the next start was sent at %d", starts[i+1].Sent)
	}
	return nil
}

// maxCounter bounds a lifecycle's counters (Attempt, Gen) in a state.
const maxCounter = 1 << 62

// requiresCycle refuses services whose requires close a cycle, which no
// declaration makes (REFERENCE §2.8): their starts and stops would wait
// on each other for ever, a shutdown with them.
func requiresCycle(services []Service) error {
	graph := make(map[string][]string, len(services))
	for _, svc := range services {
		graph[svc.Config.Name] = svc.Config.Requires
	}
	if cycle := messages.AnyCycle(graph); cycle != "" {
		return fmt.Errorf("dependency cycle: %s", cycle)
	}
	return nil
}

// CheckFrozen refuses a state that is not the final one of an upgrade,
// written once everything froze: a proxy that runs must hold its three
// pipes there. The state of the check (`cfkd --check-upgrade`), written
// before the freeze, names none of them: Decode takes both, the new cfkd
// adopts only a frozen one.
func (s *State) CheckFrozen() error {
	for _, p := range s.Proxies {
		if p.Running && (p.CmdFd < 0 || p.StatusFd < 0 || p.LogFd < 0) {
			return fmt.Errorf("upgrade state: proxy %q runs without its pipes (cmd %d, status %d, log %d): not a frozen state", p.Config.Name, p.CmdFd, p.StatusFd, p.LogFd)
		}
	}
	return nil
}
