package testkit

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// ProcsWithEnv lists the live (non-zombie) processes, this one aside,
// whose environment holds the variable kv ("KEY=VALUE", whole): how the
// tests and the benchmark tool find every process a cfkd of theirs
// started, wherever it was reparented.
func ProcsWithEnv(kv string) (pids []int) {
	want := []byte("\x00" + kv + "\x00")
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil || !bytes.Contains(append(append([]byte{0}, env...), 0), want) {
			continue
		}
		st, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if i := bytes.LastIndexByte(st, ')'); i < 0 || i+2 >= len(st) || st[i+2] == 'Z' {
			continue // gone meanwhile, or a zombie
		}
		pids = append(pids, pid)
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
