package testkit

import (
	"os"
	"slices"
	"syscall"
	"time"

	"github.com/cfk/cfk/osproc"
)

// ProcsWithEnv lists the live (non-zombie) processes, this one aside,
// whose environment holds the variable kv ("KEY=VALUE", whole): how the
// tests and the benchmark tool find every process a cfkd of theirs
// started, wherever it was reparented.
func ProcsWithEnv(kv string) (pids []int) {
	for _, pid := range osproc.Pids() {
		if pid == os.Getpid() || !slices.Contains(osproc.Environ(pid), kv) {
			continue
		}
		if p, ok := osproc.ReadProc(pid); ok && p.State != 'Z' { // gone meanwhile, or a zombie
			pids = append(pids, pid)
		}
	}
	return pids
}

// KillProcsWithEnv gives the processes ProcsWithEnv(kv) lists up to grace
// to go by themselves (those dying of a signal sent just before), then
// SIGKILLs those still there and returns them.
func KillProcsWithEnv(kv string, grace time.Duration) (killed []int) {
	end := time.Now().Add(grace)
	for len(ProcsWithEnv(kv)) > 0 && time.Now().Before(end) {
		time.Sleep(10 * time.Millisecond)
	}
	for _, pid := range ProcsWithEnv(kv) {
		syscall.Kill(pid, syscall.SIGKILL)
		killed = append(killed, pid)
	}
	return killed
}
