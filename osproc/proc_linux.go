package osproc

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// ProcFS says whether the /proc readers work here: on Linux, in both
// builds (-tags cfkportable does not change them).
const ProcFS = true

// ReadProc reads /proc/PID/stat. ok is false when the process is gone or
// the file cannot be parsed.
func ReadProc(pid int) (p ProcInfo, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return p, false
	}
	return parseStat(pid, b)
}

// Pids lists the numeric entries of /proc: every process of the pid
// namespace (one readdir; no other file is read).
func Pids() []int {
	d, err := os.Open("/proc")
	if err != nil {
		return nil
	}
	defer d.Close()
	names, _ := d.Readdirnames(-1)
	pids := make([]int, 0, len(names))
	for _, n := range names {
		if pid, err := strconv.Atoi(n); err == nil && pid > 0 {
			pids = append(pids, pid)
		}
	}
	return pids
}

// Environ reads the environment a process was started with (or changed
// in place) from /proc/PID/environ; nil when unreadable (gone, or another
// user's and cfkd is not root). It is read whole in one read (readWhole):
// the open pins the process's memory, which an execve drops, and a read
// after that finds nothing: read in pieces, as os.ReadFile reads (512
// bytes first), the environment of a process that exec'd meanwhile (an
// orphan that a dying shell forked) was cut at the end of a piece, and
// CONTROL_FREAK_SERVICE, which cfkd appends, was lost: the orphan was
// listed without its service, and the scan after its service's stop or
// its proxy's end left it running.
func Environ(pid int) []string {
	b, err := environBytes(pid)
	if err != nil {
		return nil
	}
	return splitEnviron(b)
}

// environBytes reads /proc/PID/environ whole, in one read (Environ).
func environBytes(pid int) ([]byte, error) {
	fd, err := unix.Open("/proc/"+strconv.Itoa(pid)+"/environ", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	return readWhole(func(b []byte) (int, error) { return unix.Pread(fd, b, 0) })
}

// splitEnviron splits the text of /proc/PID/environ (nil when empty).
func splitEnviron(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
}

// environState is Environ, and whether the environment read empty because
// pid is in the middle of an execve: the kernel has given it its new
// memory, which holds no environment until the program is loaded
// (/proc/PID/stat's env_end is 0 until then). Read again once that is
// over, it is the new program's. An environment that cannot be read
// (another user's process, when the daemon is not root: the open is
// refused) or that is empty for good is not execing; nor, before Linux
// 3.5 (a stat without env_end), one read empty.
func environState(pid int) (env []string, execing bool) {
	for range 2 { // again when it is there now: an execve ended between the two reads
		b, err := environBytes(pid)
		if err != nil || len(b) > 0 {
			return splitEnviron(b), false
		}
		st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return nil, false
		}
		switch statEnvEnd(st) {
		case envInExec:
			return nil, true
		case envUnknown:
			return nil, false
		}
	}
	return nil, false // empty for good
}

// readWhole reads a file whole with pread, one read from its start into a
// buffer that grows (4 KiB first) until the read leaves some of it
// unused: all the file said at one moment, never pieces of two moments.
func readWhole(pread func(b []byte) (int, error)) ([]byte, error) {
	for size := 4 << 10; ; {
		b := make([]byte, size)
		n, err := pread(b)
		switch {
		case err == unix.EINTR:
		case err != nil:
			return nil, err
		case n < size:
			return b[:n], nil
		default:
			size *= 2
		}
	}
}

// Children lists the children of the daemon process, live or zombie,
// from /proc/self/task/TID/children, one file per thread (a child is
// listed under the thread that forked it, an adopted orphan under the
// thread the kernel picked): one readdir and one read per thread,
// whatever the number of processes on the system. ok is false where the
// kernel has no such file (before Linux 3.5, or without
// CONFIG_PROC_CHILDREN): then only a scan of every /proc/PID/stat finds
// them. A thread that exits meanwhile hands its children to another
// one: such a child is missed by this call when that one was read
// already, and listed once when the files of both list it (a pid is
// never listed twice). Each file is read as readChildren reads it: a
// child reaped meanwhile skips none of the others.
func Children() (pids []int, ok bool) { return taskChildren("self") }

// taskChildren is Children of process pid ("self", or a number): the
// children files of its threads.
func taskChildren(pid string) (pids []int, ok bool) {
	dir := "/proc/" + pid + "/task/"
	d, err := os.Open(dir)
	if err != nil {
		return nil, false
	}
	tids, _ := d.Readdirnames(-1)
	d.Close()
	seen := false
	listed := map[int]bool{}
	for _, tid := range tids {
		kids, err := readChildren(dir + tid + "/children")
		if err != nil {
			if os.IsNotExist(err) && !seen {
				if _, err := os.Stat(dir + tid); err == nil {
					return nil, false // the thread is there, its file is not
				}
			}
			continue // the thread ended meanwhile
		}
		seen = true
		for _, kid := range kids {
			if !listed[kid] { // a child its thread's end moved to another one
				listed[kid] = true
				pids = append(pids, kid)
			}
		}
	}
	return pids, seen
}

// OrphanCandidates lists the children of the daemon among which its
// adopted orphans are: those of its first thread alone, where the kernel
// hands every orphan to a subreaper's first live thread (Linux 4.0 and
// later: find_alive_thread), which is the thread group's leader for the
// whole life of cfkd (Go never ends it). cfkd's services are not there:
// the fork server, which makes them its siblings (CLONE_PARENT), is
// forked by another thread (startForkServer), so a scan after a stop
// reads a few pids, not one per service (a read of a list of 9,000
// children walks it from its start for every 4 KiB of it, and such a
// list is read twice at least: readChildren); the services
// adopted across an upgrade in place are the exception, the exec having
// made the leader their parent. Elsewhere
// (older kernels, where an orphan goes to the thread that forked its
// parent) it is Children.
func OrphanCandidates() (pids []int, ok bool) {
	if !orphansToLeader() {
		return Children()
	}
	self := strconv.Itoa(os.Getpid())
	pids, err := readChildren("/proc/self/task/" + self + "/children")
	if err != nil {
		return Children()
	}
	return pids, true
}

// orphansToLeader: the kernel reparents orphans to a subreaper's first
// live thread (Linux 4.0 and later).
var orphansToLeader = sync.OnceValue(func() bool {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return false
	}
	var major, minor int
	if _, err := fmt.Sscanf(unix.ByteSliceToString(u.Release[:]), "%d.%d", &major, &minor); err != nil {
		return false
	}
	return major >= 4
})

// appendPids appends the pids of a children file's text (pids separated
// by spaces) to pids.
func appendPids(pids []int, b []byte) []int {
	for _, f := range bytes.Fields(b) {
		if pid, err := strconv.Atoi(string(f)); err == nil && pid > 0 {
			pids = append(pids, pid)
		}
	}
	return pids
}

// Descendants lists the live descendants of pids (children, theirs, and
// so on) with their start times (ProcInfo.Start: a pid reused later is
// another process), pids themselves left out. It reads
// /proc/PID/task/TID/children, or, where the kernel has no such file,
// every process's stat. A process that forks or exits meanwhile may be
// missed; a pid is never listed twice.
func Descendants(pids []int) map[int]uint64 {
	out := map[int]uint64{}
	children := childrenByFile
	if _, err := os.Stat("/proc/self/task/" + strconv.Itoa(unix.Gettid()) + "/children"); err != nil {
		children = childrenByStat() // a kernel without CONFIG_PROC_CHILDREN
	}
	todo := append([]int(nil), pids...)
	for len(todo) > 0 {
		pid := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		for _, c := range children(pid) {
			if _, seen := out[c]; seen {
				continue
			}
			p, ok := ReadProc(c)
			if !ok || p.State == 'Z' {
				continue
			}
			out[c] = p.Start
			todo = append(todo, c)
		}
	}
	return out
}

// childrenByFile lists the children of pid from its threads' children
// files (taskChildren; nil when it is gone).
func childrenByFile(pid int) []int {
	pids, _ := taskChildren(strconv.Itoa(pid))
	return pids
}

// childrenByStat reads every process's stat once and returns the lookup
// of a pid's children from it.
func childrenByStat() func(pid int) []int {
	by := map[int][]int{}
	for _, pid := range Pids() {
		if p, ok := ReadProc(pid); ok {
			by[p.Ppid] = append(by[p.Ppid], pid)
		}
	}
	return func(pid int) []int { return by[pid] }
}

// BootTicks is now in the clock ticks of ProcInfo.Start (USER_HZ, 100 a
// second, after boot: /proc/PID/stat's starttime, CLOCK_BOOTTIME as the
// kernel counts it); 0 when the clock cannot be read. A process whose
// Start is below it began before now. It never waits (a vDSO call).
func BootTicks() uint64 {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts) != nil {
		return 0
	}
	return uint64(ts.Nano()) / 1e7
}
