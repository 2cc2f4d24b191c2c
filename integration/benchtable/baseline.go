package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/cfk/cfk/internal/testkit"
)

// baseline is the plain fork/exec loop: the same N `sleep 1000` that the
// supervisors start, each in its own session with stdio on /dev/null,
// started by this process directly. With pipes (the floor for a
// supervisor that keeps its services' output), each child's stdout and
// stderr are pipes instead, whose read ends this process holds (it reads
// nothing) and closes once the child is reaped.
type baseline struct {
	pids  []int
	reads []int // the read ends of the children's pipes, with pipes
}

// startBaseline fork/execs n sleeps in a sequential loop and returns once
// every one has been exec'd (syscall.ForkExec returns after the exec
// succeeded), with the time that took. The children are registered with cl.
func startBaseline(cl *cleaner, n int, pipes bool) (*baseline, time.Duration, error) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		return nil, 0, err
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return nil, 0, err
	}
	defer null.Close()
	b := &baseline{}
	cl.add(b.kill)
	attr := &syscall.ProcAttr{
		Env:   cl.env(),
		Files: []uintptr{null.Fd(), null.Fd(), null.Fd()},
		Sys:   &syscall.SysProcAttr{Setsid: true},
	}
	argv := []string{"sleep", "1000"}
	t0 := time.Now()
	for i := 0; i < n; i++ {
		var out, errs [2]int
		if pipes {
			if err := pipe(&out, &errs); err != nil {
				return b, 0, err
			}
			attr.Files[1], attr.Files[2] = uintptr(out[1]), uintptr(errs[1])
			b.reads = append(b.reads, out[0], errs[0])
		}
		pid, err := syscall.ForkExec(sleep, argv, attr)
		if pipes {
			syscall.Close(out[1])
			syscall.Close(errs[1])
		}
		if err != nil {
			return b, 0, err
		}
		b.pids = append(b.pids, pid)
	}
	return b, time.Since(t0), nil
}

// pipe makes two close-on-exec pipes (the child gets dups of the write
// ends).
func pipe(a, b *[2]int) error {
	if err := syscall.Pipe2(a[:], syscall.O_CLOEXEC); err != nil {
		return err
	}
	if err := syscall.Pipe2(b[:], syscall.O_CLOEXEC); err != nil {
		syscall.Close(a[0])
		syscall.Close(a[1])
		return err
	}
	return nil
}

// stop sends SIGTERM to every child, then reaps them all.
func (b *baseline) stop() time.Duration {
	t0 := time.Now()
	for _, p := range b.pids {
		syscall.Kill(p, syscall.SIGTERM)
	}
	b.reap()
	b.closeReads()
	return time.Since(t0)
}

func (b *baseline) closeReads() {
	for _, fd := range b.reads {
		syscall.Close(fd)
	}
	b.reads = nil
}

func (b *baseline) reap() {
	for _, p := range b.pids {
		var ws syscall.WaitStatus
		for {
			if _, err := syscall.Wait4(p, &ws, 0, nil); err != syscall.EINTR {
				break
			}
		}
	}
	b.pids = nil
}

// kill is the clean-up: SIGKILL and reap whatever is left.
func (b *baseline) kill() {
	for _, p := range b.pids {
		syscall.Kill(p, syscall.SIGKILL)
	}
	b.reap()
	b.closeReads()
}

// statusServer is a testkit.ReplyServer answering body on dir's
// baseline.sock; it is closed by cl.
func statusServer(cl *cleaner, dir string, body []string) (string, error) {
	sock := filepath.Join(dir, "baseline.sock")
	ln, err := testkit.ReplyServer(sock, body)
	if err != nil {
		return "", err
	}
	cl.add(func() { ln.Close() })
	return sock, nil
}

// roundTrips times `command status` on one persistent connection to sock,
// for rounds rounds or until budget is spent (at least 20 rounds).
func roundTrips(sock string, rounds int, budget time.Duration) ([]time.Duration, error) {
	c, err := dialCfkd(sock)
	if err != nil {
		return nil, err
	}
	defer c.close()
	out := make([]time.Duration, 0, rounds)
	end := time.Now().Add(budget)
	for i := 0; i < rounds && (i < 20 || time.Now().Before(end)); i++ {
		t0 := time.Now()
		if _, err := c.do("command status"); err != nil {
			return nil, err
		}
		out = append(out, time.Since(t0))
	}
	return out, nil
}
