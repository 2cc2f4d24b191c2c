package daemon

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
)

func TestLeftoverOf(t *testing.T) {
	const home = "/h"
	for _, c := range []struct {
		env  []string
		what string
		ok   bool
	}{
		{[]string{"CFKD_HOME=/h", "CONTROL_FREAK_ENABLED=1", "CONTROL_FREAK_SERVICE=web"}, "service web", true},
		{[]string{"CFKD_HOME=/h", "_CFK_COMMAND_FD=3"}, "proxy", true},
		{[]string{"CFKD_HOME=/other", "CONTROL_FREAK_ENABLED=1"}, "", false},
		{[]string{"CFKD_HOME=/h"}, "", false}, // cfkd itself, cfkctl, a shell
		{[]string{"CONTROL_FREAK_ENABLED=1"}, "", false},
		{nil, "", false},
	} {
		if what, ok := leftoverOf(c.env, home); what != c.what || ok != c.ok {
			t.Errorf("leftoverOf(%q) = %q %v, want %q %v", c.env, what, ok, c.what, c.ok)
		}
	}
}

// TestKillLeftovers: the processes of a home's services and proxies are
// ended (one ignores SIGTERM: SIGKILL), those of another home and the
// home's non-service processes are not.
func TestKillLeftovers(t *testing.T) {
	if !leftoverScan {
		t.Skip("the leftovers of a killed cfkd are found through /proc and signalled through pidfds: not in this build (REFERENCE §11)")
	}
	home := filepath.Join(t.TempDir(), "home")
	var ready *bufio.Reader // the stubborn one's stdout
	start := func(env []string, script string) *exec.Cmd {
		cmd := exec.Command("/bin/sh", "-c", script)
		cmd.Env = append(os.Environ(), env...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if strings.Contains(script, "ready") {
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			ready = bufio.NewReader(out)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); cmd.Wait() })
		return cmd
	}
	svc := []string{"CFKD_HOME=" + home, "CONTROL_FREAK_ENABLED=1", "CONTROL_FREAK_SERVICE=web"}
	plain := start(svc, "exec sleep 1000")
	stubborn := start(svc, `trap "" TERM; echo ready; sleep 1000`)
	proxy := start([]string{"CFKD_HOME=" + home, "_CFK_COMMAND_FD=3"}, "exec sleep 1000")
	other := start([]string{"CFKD_HOME=/elsewhere", "CONTROL_FREAK_ENABLED=1"}, "exec sleep 1000")
	notSvc := start([]string{"CFKD_HOME=" + home}, "exec sleep 1000")
	// wait for the trap (the shell says ready after it) and for the execs
	if l, err := ready.ReadString('\n'); err != nil || l != "ready\n" {
		t.Fatalf("stubborn said %q, %v", l, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	execd := func() bool { // the four found, plain and proxy past their exec
		found, sleeps := findLeftovers(home), 0
		for _, l := range found {
			if (l.Pid == plain.Process.Pid || l.Pid == proxy.Process.Pid) && l.Comm == "sleep" {
				sleeps++
			}
		}
		return len(found) >= 4 && sleeps == 2
	}
	for !execd() {
		if time.Now().After(deadline) {
			t.Fatalf("children not ready: %+v", findLeftovers(home))
		}
		time.Sleep(10 * time.Millisecond)
	}

	var logb bytes.Buffer
	log := logrus.New()
	log.SetOutput(&logb)
	n := killLeftovers(home, 4242, log, 300*time.Millisecond)
	// plain, proxy, the stubborn shell and its sleep
	if n != 4 {
		t.Errorf("killed %d, want 4\n%s", n, logb.String())
	}
	for _, want := range []string{
		"killed 4 processes left by a previous cfkd (pid 4242) on this home",
		"killing pid " + strconv.Itoa(plain.Process.Pid) + " (sleep) of service web, left by a previous cfkd (pid 4242)",
		"killing pid " + strconv.Itoa(proxy.Process.Pid) + " (sleep) of proxy",
		"pid " + strconv.Itoa(stubborn.Process.Pid) + " (sh) ignored SIGTERM: sent SIGKILL",
	} {
		if !strings.Contains(logb.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logb.String())
		}
	}
	for _, c := range []*exec.Cmd{plain, stubborn, proxy} {
		c.Wait() // ended: Wait returns at once
	}
	for _, c := range []*exec.Cmd{other, notSvc} {
		if err := c.Process.Signal(syscall.Signal(0)); err != nil {
			t.Errorf("pid %d was not the home's: %v", c.Process.Pid, err)
		}
	}
	if n := killLeftovers(home, 0, log, time.Second); n != 0 {
		t.Errorf("second scan killed %d", n)
	}
}

// Without /proc or pidfds (the portable build) nothing is scanned: the
// processes of a home are left alone, and the log says that nothing was
// looked for.
func TestNoLeftoverScan(t *testing.T) {
	if leftoverScan {
		t.Skip("this build scans for leftovers (TestKillLeftovers)")
	}
	home := filepath.Join(t.TempDir(), "home")
	cmd := exec.Command("/bin/sh", "-c", "exec sleep 1000")
	cmd.Env = append(os.Environ(), "CFKD_HOME="+home, "CONTROL_FREAK_ENABLED=1", "CONTROL_FREAK_SERVICE=web")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	var logb bytes.Buffer
	log := logrus.New()
	log.SetOutput(&logb)
	if n := killLeftovers(home, 4242, log, 100*time.Millisecond); n != 0 {
		t.Fatalf("killed %d", n)
	}
	if !strings.Contains(logb.String(), "not looked for on this system") {
		t.Errorf("log: %q", logb.String())
	}
	if err := cmd.Process.Signal(syscall.Signal(0)); err != nil {
		t.Errorf("the process was signalled: %v", err)
	}
}
