package e2e

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/lifecycle"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/osproc"
	"github.com/cfk/cfk/upgrade"
)

// adoptCrafted starts cfkdBin as the new cfkd of an upgrade in place, with
// a hand-made state: fd 3 is home/lock, fd 4 a listening UNIX socket on
// home/sock, then extra (fd 5 on). With child, cfkd is exec'd by a shell
// that started `sleep 1000` first (a child of cfkd then), whose pid mutate
// gets. mutate edits the state before it is written. cfkd, and every
// process left with CFKD_HOME=home, is killed at the end of the test.
func adoptCrafted(t *testing.T, child bool, extra []*os.File, mutate func(home string, child int, st *upgrade.State)) *daemon {
	t.Helper()
	home := filepath.Join(t.TempDir(), "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	lockF, err := os.OpenFile(filepath.Join(home, "lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer lockF.Close()
	sock := filepath.Join(home, "sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	lnF, err := ln.(*net.UnixListener).File()
	ln.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer lnF.Close()
	st := &upgrade.State{CfkdVersion: "crafted", Pid: os.Getpid(), Written: time.Now(), Home: home,
		Lock: 3, Admin: &upgrade.Listener{Fd: 4, Network: "unix", Addr: sock},
		Pipes: []osproc.FrozenPipe{}}
	file := filepath.Join(home, "upgrade.state")
	cmd := exec.Command(cfkdBin, "--home", home)
	if child {
		cmd = exec.Command("/bin/sh", "-c", `sleep 1000 </dev/null >/dev/null 2>&1 & echo $! > "$1/child"; while [ ! -s "$1/go" ]; do sleep 0.01; done; exec "$2" --home "$1"`, "sh", home, cfkdBin)
	}
	cmd.ExtraFiles = append([]*os.File{lockF, lnF}, extra...)
	d := &daemon{t: t, home: home, sock: sock, exited: make(chan struct{}), cmd: cmd}
	cmd.Stderr = &d.stderr
	// Wait returns once cfkd exits even if a process it left holds its
	// stderr (the copy stops after WaitDelay)
	cmd.WaitDelay = 2 * time.Second
	cmd.Env = childEnv("CFKD_HOME="+home, upgrade.Env+"="+file)
	if !child {
		// cfkd reads the state at once: write it before it starts
		mutate(home, 0, st)
		if err := upgrade.Write(file, st); err != nil {
			t.Fatal(err)
		}
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.err = d.cmd.Wait(); close(d.exited) }()
	t.Cleanup(func() {
		killHome(home)
		select {
		case <-d.exited:
		default:
			d.cmd.Process.Kill()
			<-d.exited
		}
	})
	if child {
		pid := 0
		end := time.Now().Add(deadline)
		for pid == 0 {
			if time.Now().After(end) {
				t.Fatalf("the shell did not start its child in %v", deadline)
			}
			b, _ := os.ReadFile(filepath.Join(home, "child"))
			pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
			time.Sleep(10 * time.Millisecond)
		}
		mutate(home, pid, st)
		if err := upgrade.Write(file, st); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(home, "go"), []byte("go"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// refused waits (with the suite's deadline) for d to exit refusing its
// state: exit status 1, saying why (want) and that the services keep
// running, without a crash.
func refused(t *testing.T, d *daemon, want string) {
	t.Helper()
	select {
	case <-d.exited:
	case <-time.After(deadline):
		b, _ := os.ReadFile(filepath.Join(d.home, "cfkd.log"))
		t.Fatalf("cfkd took a bad state (still running after %v):\nlog: %.2000s", deadline, b)
	}
	out := d.stderr.String()
	if strings.Contains(out, "fatal error") || strings.Contains(out, "panic") || strings.Contains(out, "goroutine ") {
		t.Fatalf("cfkd crashed on a bad state: %v\n%.3000s", d.err, out)
	}
	ee, ok := d.err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 1 || !strings.Contains(out, "cfkd: upgrade in place: upgrade state:") ||
		!strings.Contains(out, want) || !strings.Contains(out, "the services keep running") {
		t.Fatalf("cfkd: %v\n%s\nwant exit status 1 and the state refused with %q", d.err, out, want)
	}
}

// TestAdoptRefusesFdsNotInherited checks that the new cfkd refuses a state
// naming fds that did not cross the exec as output pipes (not open, or
// opened by this cfkd itself: the Go runtime's epoll), instead of taking
// them over and closing them (once "netpoll failed"); and one that
// crossed but is not what the state says (a regular file as a pipe, the
// lock another file than home/lock).
func TestAdoptRefusesFdsNotInherited(t *testing.T) {
	t.Run("not crossed", func(t *testing.T) {
		d := adoptCrafted(t, false, nil, func(home string, _ int, st *upgrade.State) {
			for fd := 5; fd < 64; fd++ {
				st.Pipes = append(st.Pipes, osproc.FrozenPipe{Pid: 1, Stream: "stdout", Fd: fd})
			}
		})
		refused(t, d, "fd 5 (the stdout pipe of pid 1): ")
		if out := d.stderr.String(); !strings.Contains(out, "not open") && !strings.Contains(out, "did not cross the exec") {
			t.Fatalf("why fd 5 is refused: %s", out)
		}
	})
	t.Run("not a pipe", func(t *testing.T) {
		f, err := os.Create(filepath.Join(t.TempDir(), "file"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		d := adoptCrafted(t, false, []*os.File{f}, func(home string, _ int, st *upgrade.State) {
			st.Pipes = append(st.Pipes, osproc.FrozenPipe{Pid: 1, Stream: "stderr", Fd: 5})
		})
		refused(t, d, "fd 5 (the stderr pipe of pid 1): not a pipe (a regular file)")
	})
	t.Run("another lock", func(t *testing.T) {
		d := adoptCrafted(t, false, nil, func(home string, _ int, st *upgrade.State) {
			os.Rename(filepath.Join(home, "lock"), filepath.Join(home, "lock.old"))
			os.WriteFile(filepath.Join(home, "lock"), nil, 0o600)
		})
		refused(t, d, "fd 3 (the lock): not "+filepath.Join(d.home, "lock")+" (another file)")
	})
}

// TestAdoptRefusesLaunching checks that a state whose service awaits a
// launch's outcome (Launching != 0), which no export writes and which
// would never come (a shutdown then hangs), is refused.
func TestAdoptRefusesLaunching(t *testing.T) {
	d := adoptCrafted(t, false, nil, func(home string, _ int, st *upgrade.State) {
		cfg := messages.NewServiceConfig("x")
		cfg.Cmd = "sleep 1000"
		st.Services = []upgrade.Service{{Config: cfg,
			Lifecycle: lifecycle.Lifecycle{State: messages.Starting, Want: lifecycle.WantUp, Attempt: 1, Launching: 1}}}
	})
	refused(t, d, `service "x" awaits the outcome of launch 1`)
}

// TestAdoptRefusesStateOutOfRange checks that a service whose state is not
// one of the lifecycle's (-1: its actor would index the table with it and
// panic) is refused.
func TestAdoptRefusesStateOutOfRange(t *testing.T) {
	d := adoptCrafted(t, false, nil, func(home string, _ int, st *upgrade.State) {
		cfg := messages.NewServiceConfig("x")
		cfg.Cmd = "sleep 1000"
		st.Services = []upgrade.Service{{Config: cfg,
			Lifecycle: lifecycle.Lifecycle{State: -1, Pid: 999999},
			Exits:     []upgrade.Exit{{Pid: 999999, Status: 0}}}}
	})
	refused(t, d, `service "x": state -1 is not a state of the lifecycle`)
}

// TestAdoptRefusesDuplicatePid checks that two services naming the same
// process (a child of cfkd; the launcher keeps one onExit per pid, so one
// service would stay running with a dead pid) are refused, and that the
// process is left running, not signalled.
func TestAdoptRefusesDuplicatePid(t *testing.T) {
	var child int
	d := adoptCrafted(t, true, nil, func(home string, pid int, st *upgrade.State) {
		child = pid
		for _, name := range []string{"a", "b"} {
			cfg := messages.NewServiceConfig(name)
			cfg.Cmd = "sleep 1000"
			st.Services = append(st.Services, upgrade.Service{Config: cfg,
				Lifecycle: lifecycle.Lifecycle{State: messages.Running, Want: lifecycle.WantUp, Attempt: 1, Launches: 1, Pid: pid}})
		}
	})
	refused(t, d, "pid "+strconv.Itoa(child)+` named twice: by service "a" and by service "b"`)
	if err := syscall.Kill(child, 0); err != nil {
		t.Fatalf("the process %d of the refused state: %v, want it left running", child, err)
	}
}
