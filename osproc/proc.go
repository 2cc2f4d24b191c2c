package osproc

import (
	"bytes"
	"os"
	"strconv"
	"strings"
)

// ProcInfo is what /proc says of one process.
type ProcInfo struct {
	Pid   int
	Comm  string // the command name, as in /proc/PID/comm
	State byte   // R, S, D, Z, T...
	Ppid  int
	Pgid  int
}

// ReadProc reads /proc/PID/stat. ok is false when the process is gone or
// the file cannot be parsed.
func ReadProc(pid int) (p ProcInfo, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return p, false
	}
	return parseStat(pid, b)
}

// parseStat parses "PID (COMM) STATE PPID PGID ...": COMM may hold blanks
// and parentheses, so it ends at the last ')'.
func parseStat(pid int, b []byte) (p ProcInfo, ok bool) {
	open, end := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || end < open || end+2 > len(b) {
		return p, false
	}
	f := strings.Fields(string(b[end+2:]))
	if len(f) < 3 || len(f[0]) != 1 {
		return p, false
	}
	p.Pid, p.Comm, p.State = pid, string(b[open+1:end]), f[0][0]
	var err1, err2 error
	p.Ppid, err1 = strconv.Atoi(f[1])
	p.Pgid, err2 = strconv.Atoi(f[2])
	return p, err1 == nil && err2 == nil
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

// Getenv returns the value of key in env (the last one wins, as in a
// child's environment built by appending), and whether it is there.
func Getenv(env []string, key string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], key+"="); ok {
			return v, true
		}
	}
	return "", false
}
