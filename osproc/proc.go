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

// envEnd is what /proc/PID/stat's env_end says of the environment.
type envEnd int

const (
	envUnknown envEnd = iota // no env_end (before Linux 3.5), or a zombie's
	envInExec                // 0: in the middle of an execve, not there yet
	envThere                 // the environment is in place (empty or not)
)

// statEnvEnd reads env_end (field 51) of a /proc/PID/stat line. The
// kernel shows 0 too where the reader may not read the process's memory
// (environState has then been refused its environment already) and once
// the process gave its memory up as it exits (briefly: it is a zombie
// next, and a zombie's is envUnknown).
func statEnvEnd(b []byte) envEnd {
	end := bytes.LastIndexByte(b, ')')
	if end < 0 || end+2 > len(b) {
		return envUnknown
	}
	f := strings.Fields(string(b[end+2:])) // f[0] is field 3, the state
	if len(f) < 49 || f[0] == "Z" || f[0] == "X" {
		return envUnknown
	}
	if f[48] == "0" {
		return envInExec
	}
	return envThere
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
