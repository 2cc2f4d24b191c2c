package integration

import (
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/actors"
	. "github.com/cfk/cfk/messages"
)

// boom makes the fault-injecting middleware panic inside a service actor.
type boom struct{}

// faults panics on boom, and on StartService for the service "fragile".
func faults(next actor.ReceiverFunc) actor.ReceiverFunc {
	return func(c actor.ReceiverContext, env *actor.MessageEnvelope) {
		switch env.Message.(type) {
		case boom:
			panic("injected fault")
		case StartService:
			if strings.Contains(c.Self().Id, "service-fragile-") {
				panic("injected fault while starting")
			}
		}
		next(c, env)
	}
}

func TestPanicInServiceKeepsItsProcess(t *testing.T) {
	h := newHarness(t, func(o *actors.Options) { o.ServiceMiddleware = []actor.ReceiverMiddleware{faults} })
	h.ok("service s cmd=sleep 100", "service s startwait_secs=0.1", "command start service s")
	pid := h.expectSeq("s", Starting, Running)[0].Pid

	res, err := h.tree.System.Root.RequestFuture(h.tree.Controller, actors.LookupService{Name: "s"}, deadline).Result()
	if err != nil || res.(*actor.PID) == nil {
		t.Fatalf("lookup: %v %v", res, err)
	}
	h.tree.System.Root.Send(res.(*actor.PID), boom{})
	h.wait("the panic to be reported", deadline, func() bool {
		return len(h.panics) == 1 && h.panics[0].Reason == "injected fault"
	})

	// the actor was resumed with its state: same process, still supervised
	if st := h.status("s"); st[1] != "running" || st[2] != itoa(pid) || !alive(pid) {
		t.Fatalf("after panic: %q alive=%v", st, alive(pid))
	}
	syscall.Kill(pid, syscall.SIGKILL)
	ev := h.expectSeq("s", Fail, Starting, Running)
	if ev[1].Pid == pid {
		t.Fatal("not respawned after the panic")
	}
	h.ok("command stop service s")
	h.expectSeq("s", Stopping, Stopped)
}

func TestPanicDuringARequestAnswersIt(t *testing.T) {
	h := newHarness(t, func(o *actors.Options) { o.ServiceMiddleware = []actor.ReceiverMiddleware{faults} })
	h.ok("service fragile cmd=sleep 100", "service sturdy cmd=sleep 100")
	start := time.Now()
	r := h.ok("command start all")
	if time.Since(start) > 5*time.Second {
		t.Fatal("the reply waited for a timeout")
	}
	if len(r) != 2 || r[0] != "done 1" || !strings.HasPrefix(r[1], "fragile: internal error: injected fault while starting") {
		t.Fatalf("reply %q", r)
	}
	h.expect("sturdy", Starting)
	// the controller and the service still work
	if st := h.status("fragile"); st[1] != "stopped" {
		t.Fatalf("fragile %q", st)
	}
	h.fails("command start service fragile", "internal error: injected fault while starting")
}

func itoa(n int) string { return strconv.Itoa(n) }
