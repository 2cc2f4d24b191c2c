package osproc

import (
	"os"
	"strconv"
	"strings"
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
// user's and cfkd is not root).
func Environ(pid int) []string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil || len(b) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
}
