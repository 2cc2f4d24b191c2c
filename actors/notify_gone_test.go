package actors

import (
	"os"
	"testing"

	"github.com/cfk/cfk/notify"
)

// TestNotifyOfAReapedSenderIsNotKept: a datagram whose sender had exited
// and been reaped before it was read (notify.Message.Gone: a helper that
// sends and exits at once) was kept as one of a pid not known yet, and
// given to the run that took that pid next: another process's READY=1.
// It is dropped, and that is logged; the run's own datagram makes it
// ready (REFERENCE §2.9).
func TestNotifyOfAReapedSenderIsNotKept(t *testing.T) {
	t.Parallel()
	r, logs := notifyRig(t, uint32(os.Getuid()+4242))
	r.ok("service s cmd=sleep 100", "service s ready=notify", "service s startwait_secs=0.02",
		"service s ready_timeout_secs=30", "service s respawn_on_fail=0")
	r.fake.mu.Lock()
	next := r.fake.nextPid
	r.fake.mu.Unlock()
	send := func(m notify.Message) { r.tree.System.Root.Send(r.tree.Controller, notifyReceived{msg: m}) }
	send(notify.Message{Pid: next, Gone: true, Fields: map[string]string{"READY": "1"}})
	e := logs.wait(t, "notify datagram dropped: its sender had exited and been reaped before cfkd read it, "+
		"so no service can be told its own (a client that sends and exits at once, as systemd-notify --no-block run as a user other than root)")
	if e.Data["pid"] != next {
		t.Errorf("logged for pid %v, want %d", e.Data["pid"], next)
	}
	r.okDone("command start service s", 1)
	if l := r.fake.waitLaunch(t, 1); l.Pid != next {
		t.Fatalf("launched as pid %d, want %d", l.Pid, next)
	}
	r.expectSeq("s", starting)
	send(notify.Message{Pid: next, Pgid: next, Fields: map[string]string{"READY": "1"}})
	r.expectSeq("s", running)
}
