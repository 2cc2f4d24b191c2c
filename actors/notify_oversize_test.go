package actors

import (
	"os"
	"testing"

	"github.com/cfk/cfk/notify"
)

// TestNotifyOversizeIsSaid: a datagram over notify.MaxDatagram bytes is
// dropped whole, its READY=1 too (REFERENCE §2.9), and that is logged
// for the service it came from, once in a while: it was dropped without
// a word, and a service that sent READY=1 with a long STATUS= stayed
// starting until `Not ready after 60s`, nothing saying why. Its next
// datagram, short, makes it ready.
func TestNotifyOversizeIsSaid(t *testing.T) {
	t.Parallel()
	r, logs := notifyRig(t, uint32(os.Getuid()+4242))
	r.ok("service s cmd=sleep 100", "service s ready=notify", "service s startwait_secs=0.02",
		"service s ready_timeout_secs=30", "service s respawn_on_fail=0")
	r.okDone("command start service s", 1)
	pid := r.fake.waitLaunch(t, 1).Pid
	r.expectSeq("s", starting)
	send := func(m notify.Message) { r.tree.System.Root.Send(r.tree.Controller, notifyReceived{msg: m}) }
	send(notify.Message{Pid: pid, Pgid: pid, Oversize: true, Fields: map[string]string{}})
	e := logs.wait(t, "s: notify datagram dropped: over 4096 bytes, so none of its fields was read (READY=1, STATUS=, WATCHDOG=1 ...): send a shorter STATUS=")
	if e.Data["pid"] != pid {
		t.Errorf("logged for pid %v, want %d", e.Data["pid"], pid)
	}
	send(notify.Message{Pid: pid, Pgid: pid, Fields: map[string]string{"READY": "1"}})
	r.expectSeq("s", running)
}
