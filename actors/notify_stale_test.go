package actors

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/cfk/cfk/notify"
)

// TestStaleNotifyReadyIgnored: a READY=1 of a process that has exited
// since (routed by the controller by its pid while it lived, delivered
// after its exit) was fed as the readiness of the current attempt: the
// relaunched process, which never said it is ready, was made running.
// The service now drops a datagram whose sender is not its process.
func TestStaleNotifyReadyIgnored(t *testing.T) {
	t.Parallel()
	sock := filepath.Join(t.TempDir(), "notify.sock")
	r := newRig(t, func(o *Options) { o.NotifySocket = sock })
	r.ok("service s cmd=sleep 100", "service s startwait_secs=0.02", "service s ready=notify")
	r.okDone("command start service s", 1)
	ev := r.expectSeq("s", starting)
	old := ev[0].Pid
	ready := func(pid int) notifyReceived {
		return notifyReceived{msg: notify.Message{Pid: pid, Fields: map[string]string{"READY": "1"}}}
	}
	r.tree.System.Root.Send(r.tree.Controller, ready(old))
	r.expectSeq("s", running)

	// the old process crashes; its last datagram is still on its way
	r.fake.exit(t, old, exitCode(1))
	ev = r.expectSeq("s", fail, starting)
	if ev[1].Pid == old {
		t.Fatalf("not relaunched")
	}
	r.tree.System.Root.Send(r.servicePID("s"), ready(old))
	// the new process never said READY=1: it must stay starting
	r.expectNone("s", running, 300*time.Millisecond)
}
