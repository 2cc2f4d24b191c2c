package actors

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestEnvFileEMFILEIsAShortage: REFERENCE §2.1: a launch that fails for
// want of cfkd's own fds is not the service's failure: backoff, retried
// after 1 s, never fatal for it. The env_file is read at each start; that
// read failing with EMFILE (cfkd out of fds) failed the launch as a
// declaration error, and the respawn after a crash gave up: fatal.
func TestEnvFileEMFILEIsAShortage(t *testing.T) {
	// not parallel: the process runs out of fds for a moment
	env := filepath.Join(t.TempDir(), "s.env")
	if err := os.WriteFile(env, []byte("A=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := newRig(t)
	pid := r.startRunning("s", "env_file="+env)

	release := exhaust(t)
	r.fake.exit(t, pid, exitCode(1))
	r.expectSeq("s", fail, backoff) // not fail → fatal
	release()
	r.expectSeq("s", starting) // the retry, 1 s later
}

// exhaust uses up the process's fds until the test's cleanups run.
func exhaust(t *testing.T) (release func()) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	low := lim
	low.Cur = uint64(len(ents) + 64)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Fatal(err)
	}
	var fds []int
	release = func() {
		for _, fd := range fds {
			syscall.Close(fd)
		}
		fds = nil
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	t.Cleanup(release)
	for {
		fd, err := syscall.Open("/dev/null", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != nil {
			if err != syscall.EMFILE {
				release()
				t.Fatal(err)
			}
			return release
		}
		fds = append(fds, fd)
	}
}
