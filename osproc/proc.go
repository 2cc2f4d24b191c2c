package osproc

import (
	"bytes"
	"strconv"
	"strings"
)

// ProcInfo is what /proc says of one process. The /proc readers
// (ReadProc, Pids, Environ) are Linux's (proc_linux.go): elsewhere they
// find nothing (proc_other.go, REFERENCE §11).
type ProcInfo struct {
	Pid   int
	Comm  string // the command name, as in /proc/PID/comm
	State byte   // R, S, D, Z, T...
	Ppid  int
	Pgid  int
	// Start is its start time, in clock ticks after boot (0 when the
	// system does not say): with Pid, it names one process, whatever
	// reuse of the pid came later
	Start uint64
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
	if len(f) > 19 {
		p.Start, _ = strconv.ParseUint(f[19], 10, 64) // field 22, starttime
	}
	return p, err1 == nil && err2 == nil
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
