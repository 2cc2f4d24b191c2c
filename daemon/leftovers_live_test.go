package daemon

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/osproc"
	"github.com/sirupsen/logrus"
)

// fakeCfkdEnv makes the test binary a live cfkd's stand-in (fakeCfkd):
// its value is the CFKD_HOME of the service it starts.
const fakeCfkdEnv = "CFK_TEST_FAKE_CFKD"

func init() {
	if svcHome := os.Getenv(fakeCfkdEnv); svcHome != "" {
		os.Exit(fakeCfkd(svcHome))
	}
}

// fakeCfkd, run as `TESTBIN [cfkd's flags]`, does what the start-up scan
// sees of a cfkd: it holds HOME/lock (takeLock; HOME as cfkd takes it:
// --home, relative to its working directory, or $HOME/.controlfreak) and
// has a service child,
// `sleep 1000` in a session of its own with CFKD_HOME=svcHome. It prints
// the child's pid, and ends it and exits when its stdin closes.
func fakeCfkd(svcHome string) int {
	f, err := parseFlags(os.Args[1:], io.Discard)
	if err != nil {
		fmt.Println(err)
		return 1
	}
	l, _, err := takeLock(filepath.Join(f.Home, "lock"))
	if err != nil {
		fmt.Println(err)
		return 1
	}
	defer l.f.Close()
	cmd := exec.Command("sleep", "1000")
	cmd.Env = append(os.Environ(), "CFKD_HOME="+svcHome, "CONTROL_FREAK_ENABLED=1", "CONTROL_FREAK_SERVICE=web")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		fmt.Println(err)
		return 1
	}
	fmt.Println(cmd.Process.Pid)
	io.Copy(io.Discard, os.Stdin)
	cmd.Process.Kill()
	cmd.Wait()
	return 0
}

// startFakeCfkd starts fakeCfkd with args in dir (env added), its
// service told svcHome, and returns its pid and its service's once the
// service is past its exec. Both are ended when the test ends.
func startFakeCfkd(t *testing.T, dir string, env []string, svcHome string, args ...string) (cfkd, svc int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), env...), fakeCfkdEnv+"="+svcHome)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if svc > 0 {
			syscall.Kill(-svc, syscall.SIGKILL)
		}
		stdin.Close()
		cmd.Process.Kill()
		cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if svc, err = strconv.Atoi(strings.TrimSpace(line)); err != nil {
		t.Fatalf("the fake cfkd said %q, %v", line, err)
	}
	waitLeftover(t, svcHome, svc)
	return cmd.Process.Pid, svc
}

// waitLeftover waits until the scan finds pid, past its exec of sleep.
func waitLeftover(t *testing.T, home string, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, lo := range findLeftovers(home) {
			if lo.Pid == pid && lo.Comm == "sleep" {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("pid %d not found: %+v", pid, findLeftovers(home))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A cfkd whose home was moved away (`mv HOME HOME.old`) or removed while
// it ran keeps its services, whose CFKD_HOME is still HOME: a cfkd then
// started on HOME took them for a dead cfkd's leftovers and killed them
// under the live one. They are left alone and logged; a dead cfkd's
// leftover is killed as before, and so is one below a live cfkd of
// another home (REFERENCE §7.5).
func TestLeftoversOfALiveCfkdAreLeftAlone(t *testing.T) {
	if !leftoverScan {
		t.Skip("no start-up scan in this build (REFERENCE §11)")
	}
	for _, c := range []struct {
		name   string
		home   string   // the live cfkd's, below the test's directory
		args   []string // its flags (HOME: home's absolute path)
		env    []string // its environment added (HOME: the test's directory)
		away   func(home string) error
		spared bool
		lock   string // where its lock is then, below the test's directory
	}{
		{name: "moved", home: "home", args: []string{"--home", "HOME"}, away: func(h string) error { return os.Rename(h, h+".old") }, spared: true, lock: "home.old/lock"},
		{name: "removed", home: "home", args: []string{"--home", "HOME"}, away: os.RemoveAll, spared: true, lock: "home/lock (deleted)"},
		{name: "moved, relative --home", home: "home", args: []string{"-home=home", "-t"}, away: func(h string) error { return os.Rename(h, h+".old") }, spared: true, lock: "home.old/lock"},
		{name: "moved, default home", home: ".controlfreak", env: []string{"HOME=HOME"}, away: func(h string) error { return os.Rename(h, h+".old") }, spared: true, lock: ".controlfreak.old/lock"},
		{name: "another home", home: "other", args: []string{"--home", "HOME"}, away: func(string) error { return nil }},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			cfkdHome := filepath.Join(dir, c.home)
			home := cfkdHome // this cfkd's, which the service names
			if !c.spared {
				home = filepath.Join(dir, "home")
			}
			if err := os.Mkdir(cfkdHome, 0o700); err != nil {
				t.Fatal(err)
			}
			args := slices.Clone(c.args)
			for i, a := range args {
				args[i] = strings.ReplaceAll(a, "HOME", cfkdHome)
			}
			env := slices.Clone(c.env)
			for i, e := range env {
				env[i] = strings.ReplaceAll(e, "=HOME", "="+dir)
			}
			cfkd, svc := startFakeCfkd(t, dir, env, home, args...)
			if err := c.away(home); err != nil {
				t.Fatal(err)
			}
			os.MkdirAll(home, 0o700) // this cfkd's home now
			// a dead cfkd's leftover: no live cfkd above it (its parent is
			// the scanning process, where the walk ends)
			dead := exec.Command("sleep", "1000")
			dead.Env = append(os.Environ(), "CFKD_HOME="+home, "CONTROL_FREAK_ENABLED=1", "CONTROL_FREAK_SERVICE=old")
			if err := dead.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { dead.Process.Kill(); dead.Wait() })
			waitLeftover(t, home, dead.Process.Pid)

			var logb bytes.Buffer
			log := logrus.New()
			log.SetOutput(&logb)
			n := killLeftovers(home, 0, log, time.Second)
			want := 1
			if !c.spared {
				want = 2
			}
			if n != want {
				t.Errorf("killed %d, want %d\n%s", n, want, logb.String())
			}
			p, ok := osproc.ReadProc(svc) // a zombie until the fake cfkd reaps it
			alive := ok && p.State != 'Z' && p.State != 'X'
			left := fmt.Sprintf("leaving pid %d (sleep) of service web alone: it belongs to the live cfkd pid %d, whose home was moved or removed (its lock is now %s)",
				svc, cfkd, filepath.Join(dir, c.lock))
			if c.spared && (!alive || !strings.Contains(logb.String(), left)) {
				t.Errorf("the live cfkd's service: alive %v, want alive and logged %q:\n%s", alive, left, logb.String())
			}
			if !c.spared && !strings.Contains(logb.String(), fmt.Sprintf("killing pid %d (sleep) of service web", svc)) {
				t.Errorf("the service under a cfkd of another home was not killed:\n%s", logb.String())
			}
		})
	}
}
