package daemon

import (
	"io"
	"os"
	"runtime"
	"syscall"
	"testing"

	"github.com/cfk/cfk/lifecycle"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/upgrade"
	"github.com/sirupsen/logrus"
)

// A state naming a process that is not cfkd's child (hand-made, or a pid
// since reused) does not get it adopted: its service hears of an exit.
func TestCheckChildren(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs /proc")
	}
	child, err := os.StartProcess("/bin/sleep", []string{"sleep", "100"}, &os.ProcAttr{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { child.Kill(); child.Wait() }()
	svc := func(name string, pid int) upgrade.Service {
		return upgrade.Service{Config: messages.NewServiceConfig(name),
			Lifecycle: lifecycle.Lifecycle{State: messages.Running, Pid: pid}}
	}
	a := &adoption{st: &upgrade.State{
		Services: []upgrade.Service{svc("mine", child.Pid), svc("init", 1)},
		Proxies:  []upgrade.Proxy{{Running: true, Pid: 1, CmdFd: -1, StatusFd: -1, LogFd: -1}},
	}}
	log := logrus.New()
	log.SetOutput(io.Discard)
	a.checkChildren(log)
	if e := a.st.Services[0].Exits; len(e) != 0 {
		t.Errorf("cfkd's own child got exits %v", e)
	}
	for _, e := range [][]upgrade.Exit{a.st.Services[1].Exits, a.st.Proxies[0].Exits} {
		if len(e) != 1 || e[0].Pid != 1 || e[0].Status.Signal() != syscall.SIGKILL {
			t.Errorf("pid 1: exits %v, want one by SIGKILL", e)
		}
	}
}
