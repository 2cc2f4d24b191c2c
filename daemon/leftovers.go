package daemon

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/cfk/cfk/osproc"
	"github.com/sirupsen/logrus"
)

// leftoverScan says whether killLeftovers can work here: finding the
// processes takes /proc, signalling them (not cfkd's children) pidfds.
const leftoverScan = osproc.ProcFS && osproc.Pidfds

// leftover is a process that a previous cfkd of the same home started.
type leftover struct {
	osproc.ProcInfo
	what string // "service NAME", "proxy"
}

// findLeftovers scans /proc once for the processes a cfkd of home started
// and that outlived it (it was killed with SIGKILL, or crashed): those
// whose environment has CFKD_HOME=one of homes and either CONTROL_FREAK_ENABLED=1
// (services and their children, wherever they were reparented) or
// _CFK_COMMAND_FD (proxies, which get cfkd's environment). cfkd itself and
// its ancestors are left out (a cfkd started from a service's shell), and
// so are zombies. Processes whose environment cannot be read (another
// user's, when cfkd is not root) or was cleared are not found.
func findLeftovers(homes ...string) []leftover {
	skip := map[int]bool{}
	for pid := os.Getpid(); pid > 1 && !skip[pid]; {
		skip[pid] = true
		p, ok := osproc.ReadProc(pid)
		if !ok {
			break
		}
		pid = p.Ppid
	}
	var out []leftover
	for _, pid := range osproc.Pids() {
		if skip[pid] {
			continue
		}
		env := osproc.Environ(pid)
		what, ok := leftoverOf(env, homes...)
		if !ok {
			continue
		}
		p, ok := osproc.ReadProc(pid)
		if !ok || p.State == 'Z' {
			continue
		}
		out = append(out, leftover{ProcInfo: p, what: what})
	}
	return out
}

// leftoverOf says whether env is the environment of a process that a cfkd
// of home (one of homes: paths to it) started, and what it was.
func leftoverOf(env []string, homes ...string) (what string, ok bool) {
	h, _ := osproc.Getenv(env, "CFKD_HOME")
	if !slices.Contains(homes, h) {
		return "", false
	}
	if v, _ := osproc.Getenv(env, "CONTROL_FREAK_ENABLED"); v == "1" {
		name, _ := osproc.Getenv(env, "CONTROL_FREAK_SERVICE")
		return "service " + name, true
	}
	if _, isProxy := osproc.Getenv(env, "_CFK_COMMAND_FD"); isProxy {
		return "proxy", true
	}
	return "", false
}

// killLeftovers terminates what findLeftovers finds (SIGTERM to each, to
// its process group when it leads one, SIGKILL after grace) and logs it.
// prev is the pid of the previous cfkd when a stale lock named it (0: not
// known). It runs once, at start-up before anything is served, and blocks
// up to 2×grace when something is found. It returns how many processes
// it ended.
//
// It needs /proc to find them and pidfds to signal them (they are not
// cfkd's children): elsewhere (macOS, FreeBSD, -tags cfkportable) it logs
// that it does not look and returns 0 (REFERENCE §7.5, §11).
func killLeftovers(home string, prev int, log logrus.FieldLogger, grace time.Duration) int {
	if !leftoverScan {
		log.Info("processes left by a previous cfkd are not looked for on this system (no /proc, or no pidfds)")
		return 0
	}
	// the home as given, and by its real path, which services get as
	// CFKD_HOME (homeForServices): a cfkd started on another path to the
	// same directory (a symlink) left them
	homes := []string{home}
	if real := homeForServices(home); real != home {
		homes = append(homes, real)
	}
	found := findLeftovers(homes...)
	if len(found) == 0 {
		return 0
	}
	var ts []*osproc.Target
	own := syscall.Getpgrp()
	byPid := map[int]leftover{}
	live := newLiveCfkds(homes)
	for _, lo := range found {
		if owner, lock := live.owner(lo.Pid); owner != 0 {
			log.Warnf("leaving pid %d (%s) of %s alone: it belongs to the live cfkd pid %d, whose home was moved or removed (its lock is now %s)", lo.Pid, lo.Comm, lo.what, owner, lock)
			continue
		}
		t, err := osproc.OpenTarget(lo.Pid, lo.Pgid == lo.Pid && lo.Pgid != own)
		if err != nil {
			continue // gone meanwhile
		}
		// the pidfd is taken: check that it is the process the scan saw
		if _, ok := leftoverOf(osproc.Environ(lo.Pid), homes...); !ok {
			t.Close()
			continue
		}
		ts = append(ts, t)
		byPid[lo.Pid] = lo
	}
	if len(ts) == 0 {
		return 0
	}
	by := "a previous cfkd"
	if prev != 0 {
		by = fmt.Sprintf("a previous cfkd (pid %d)", prev)
	}
	for _, t := range ts {
		lo := byPid[t.Pid]
		log.Warnf("killing pid %d (%s) of %s, left by %s", lo.Pid, lo.Comm, lo.what, by)
	}
	survived := terminateLogged(ts, grace, log, func(pid int) string {
		return fmt.Sprintf("pid %d (%s)", pid, byPid[pid].Comm)
	})
	n := len(ts) - len(survived)
	log.Warnf("killed %d processes left by %s on this home", n, by)
	return n
}

// homeForServices is the CFKD_HOME that services get: the home by its real
// path, every symlink on it resolved (the home itself when that fails), so
// that whatever path to it each cfkd was given, the next one finds what a
// killed one left: a cfkd on /srv/cfk, a symlink to /data/cfk, started
// after one on /data/cfk was killed, left its services running
// unsupervised beside its own (REFERENCE §7.5).
func homeForServices(home string) string {
	if real, err := filepath.EvalSymlinks(home); err == nil {
		return real
	}
	return home
}
