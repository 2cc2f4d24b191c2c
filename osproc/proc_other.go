//go:build !linux

package osproc

// Without /proc (macOS, FreeBSD: REFERENCE §11) the readers find nothing:
// no process is listed, so cfkd finds neither the orphans it adopted
// (FreeBSD adopts them: they are reaped, not terminated after a stop or
// at shutdown) nor the processes a killed cfkd left. kern.proc sysctls
// could list processes and their environment; they are not used, as no
// CI here could run them.

// ProcFS says whether the /proc readers work here.
const ProcFS = false

// ReadProc finds nothing without /proc.
func ReadProc(pid int) (p ProcInfo, ok bool) { return p, false }

// Pids lists nothing without /proc.
func Pids() []int { return nil }

// Environ reads nothing without /proc.
func Environ(pid int) []string { return nil }

// environState reads nothing without /proc.
func environState(pid int) (env []string, execing bool) { return nil, false }

// Children lists nothing without /proc.
func Children() (pids []int, ok bool) { return nil, false }

// OrphanCandidates lists nothing without /proc.
func OrphanCandidates() (pids []int, ok bool) { return nil, false }

// Descendants lists nothing without /proc.
func Descendants(pids []int) map[int]uint64 { return nil }

// BootTicks is 0 without /proc: no process has a Start to compare.
func BootTicks() uint64 { return 0 }
