package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"github.com/cfk/cfk/osproc"
	"golang.org/x/sys/unix"
)

// alive reports whether pid names a process that has not exited: absent
// from /proc or a zombie both count as gone.
func alive(pid int) bool {
	p, ok := osproc.ReadProc(pid)
	return ok && p.State != 'Z'
}

// exists reports whether pid is still in the process table (a zombie
// counts: it has exited but its parent has not reaped it yet).
func exists(pid int) bool {
	_, err := os.Stat(fmt.Sprintf("/proc/%d", pid))
	return err == nil
}

// stopWatch follows a set of pids after a stop request: when all have
// exited (zombies included), and when all are gone from the process table
// and their parent (the supervisor) has no child left.
//
// It looks at each pid through a pidfd taken before the stop (watchStop,
// untimed): readable once the process exited, and pidfd_send_signal of 0
// fails with ESRCH once it was reaped, a system call of a few hundred ns.
// It read /proc/PID/stat and stat(2)ed /proc/PID instead, some 10 µs of
// path walk each: 9,000 pids cost the watcher 50 to 65 ms of CPU during a
// stop of 9,000 (perf: the benchtable's samples, most of them in the last
// 100 ms, when cfkd reaps the last exits), taken from cfkd on 2 cores,
// where the baseline's stop is watched by its own wait4. Where a pidfd
// cannot be taken (a kernel before 5.3), /proc is read as before.
type stopWatch struct {
	t0             time.Time
	parent         int // 0: the pids alone
	live, unreaped []int
	fds            map[int]int // pid → its pidfd; nil: /proc is read
	exited, reaped time.Duration
}

// watchStop takes a pidfd on each of pids; start begins the watch.
func watchStop(pids []int, parent int) *stopWatch {
	w := &stopWatch{parent: parent, live: append([]int(nil), pids...), unreaped: append([]int(nil), pids...),
		fds: make(map[int]int, len(pids))}
	for _, pid := range pids {
		fd, err := unix.PidfdOpen(pid, 0)
		if err != nil {
			if errors.Is(err, unix.ESRCH) {
				continue // gone already: /proc says the same
			}
			w.close()
			w.fds = nil
			return w
		}
		w.fds[pid] = fd
	}
	return w
}

// start is the time of the stop request: the durations count from it.
func (w *stopWatch) start(t0 time.Time) { w.t0 = t0 }

// close releases the pidfds.
func (w *stopWatch) close() {
	for _, fd := range w.fds {
		unix.Close(fd)
	}
	clear(w.fds)
}

// hasExited reports whether pid exited (a zombie, or reaped).
func (w *stopWatch) hasExited(pid int) bool {
	fd, ok := w.fds[pid]
	if !ok { // no pidfd (none taken: w.fds nil)
		return !alive(pid)
	}
	pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	n, err := unix.Poll(pfd, 0)
	return err == nil && n == 1
}

// isReaped reports whether pid is gone from the process table.
func (w *stopWatch) isReaped(pid int) bool {
	fd, ok := w.fds[pid]
	if !ok { // no pidfd (none taken: w.fds nil)
		return !exists(pid)
	}
	return errors.Is(unix.PidfdSendSignal(fd, 0, nil, 0), unix.ESRCH)
}

// poll reports whether all were reaped and the parent has no child left.
// It looks only at the pids in order up to the first one still there (a
// state never goes back): one or two system calls a round rather than one
// per live process, so the watcher does not take the CPU of the processes
// it waits for, nor of the supervisor; the parent's children only once
// every pid is gone.
func (w *stopWatch) poll() bool {
	for len(w.live) > 0 && w.hasExited(w.live[0]) {
		w.live = w.live[1:]
	}
	if len(w.live) == 0 && w.exited == 0 {
		w.exited = time.Since(w.t0)
	}
	for len(w.unreaped) > 0 && w.isReaped(w.unreaped[0]) {
		w.unreaped = w.unreaped[1:]
	}
	if len(w.unreaped) == 0 && w.reaped == 0 && (w.parent == 0 || childless(w.parent)) {
		w.reaped = time.Since(w.t0)
	}
	return w.reaped > 0
}

// left is how many processes the stop left behind: the pids not reaped,
// or once all are, the parent's children.
func (w *stopWatch) left() int {
	if len(w.unreaped) > 0 || w.parent == 0 {
		return len(w.unreaped)
	}
	return children(w.parent)
}

// childless reports whether pid has no child, zombies included.
func childless(pid int) bool { return children(pid) == 0 }

// children counts the children of pid, zombies included: the pids in
// every thread's /proc/PID/task/TID/children (a child is listed under the
// thread that forked it). Where the kernel has no such file
// (CONFIG_PROC_CHILDREN off), or pid is gone, it is 0. cfkd's fork server
// (argv[0] cfkd-fork-server, REFERENCE §7.6) lives as long as cfkd: it is
// not counted.
func children(pid int) int {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return 0
	}
	n := 0
	for _, t := range tasks {
		data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", pid, t.Name()))
		for _, c := range strings.Fields(string(data)) {
			if !isForkServer(c) {
				n++
			}
		}
	}
	return n
}

func isForkServer(pid string) bool {
	cmd, _ := os.ReadFile("/proc/" + pid + "/cmdline")
	return strings.HasPrefix(string(cmd), "cfkd-fork-server\x00")
}

// loadavg is the first three fields of /proc/loadavg.
func loadavg() string {
	data, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// memKiB reads VmRSS (status) and Pss (smaps_rollup) of a process, in KiB.
func memKiB(pid int) (rss, pss int) {
	field := func(file, key string) int {
		data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/%s", pid, file))
		for _, l := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(l, key) {
				if f := strings.Fields(l); len(f) >= 2 {
					n, _ := strconv.Atoi(f[1])
					return n
				}
			}
		}
		return 0
	}
	return field("status", "VmRSS:"), field("smaps_rollup", "Pss:")
}

// fdCount is the number of open fds of a process.
func fdCount(pid int) int {
	ents, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	return len(ents)
}

// procCPU is the CPU time (user+system) of a process: its process-wide
// CPU clock (clock_gettime on the clock id of pid, in ns, threads that
// exited included) where the kernel lets us read it, else utime+stime
// from /proc/PID/stat (ticks of 10 ms: USER_HZ is 100 on Linux).
func procCPU(pid int) time.Duration {
	clk := int32((^pid)<<3 | 2) // MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED)
	var ts syscall.Timespec
	_, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, uintptr(clk), uintptr(unsafe.Pointer(&ts)), 0)
	if e == 0 {
		return time.Duration(ts.Nano())
	}
	return statCPU(pid)
}

// statCPU is utime+stime from /proc/PID/stat.
func statCPU(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.Atoi(f[11])
	st, _ := strconv.Atoi(f[12])
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// machine describes the host: nproc, kernel, CPU model.
func machine() string {
	kernel := "?"
	if out, err := exec.Command("uname", "-sr").Output(); err == nil {
		kernel = strings.TrimSpace(string(out))
	}
	model := "?"
	data, _ := os.ReadFile("/proc/cpuinfo")
	for _, l := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			model = strings.TrimSpace(v)
			break
		}
	}
	return fmt.Sprintf("nproc %d, kernel %s, CPU %s", runtime.NumCPU(), kernel, model)
}

// until polls cond every step until it holds or the deadline passes.
func until(d, step time.Duration, cond func() bool) bool {
	end := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(end) {
			return false
		}
		time.Sleep(step)
	}
}
