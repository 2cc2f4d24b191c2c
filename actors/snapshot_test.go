package actors

import (
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
)

// snapshot asks the controller as cfkd's HTTP server does.
func (r *rig) snapshot(names []string) Snapshot {
	r.t.Helper()
	ch := make(chan Snapshot, 1)
	r.tree.System.Root.Send(r.tree.Controller, SnapshotRequest{Names: names, Reply: ch})
	select {
	case s := <-ch:
		return s
	case <-time.After(deadline):
		r.t.Fatalf("no snapshot after %v", deadline)
		return Snapshot{}
	}
}

// A snapshot holds what inspect says, in name order, plus the proxies and
// sockets; Names picks services, leaving out the unknown ones.
func TestSnapshot(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.ok("proxy p service x cmd=sleep 1", "socket sk host=127.0.0.1", "socket sk service=0")
	pid := r.startRunning("w", "tags=web")
	s := r.snapshot(nil)
	infos := r.info("")
	if len(s.Services) != len(infos) {
		t.Fatalf("snapshot %+v, inspect %+v", s.Services, infos)
	}
	for k := range infos {
		if got, want := s.Services[k].Format(), infos[k].Format(); got != want {
			t.Errorf("snapshot %s, inspect %s", got, want)
		}
	}
	if w := s.Services[0]; w.Name != "w" || w.Pid != pid || w.State != messages.Running {
		t.Errorf("w %+v", w)
	}
	if len(s.Proxies) != 1 || s.Proxies[0] != (ProxyInfo{Name: "p"}) {
		t.Errorf("proxies %+v", s.Proxies)
	}
	if len(s.Sockets) != 1 || s.Sockets[0] != (SocketInfo{Name: "sk"}) {
		t.Errorf("sockets %+v", s.Sockets)
	}
	if s.At.IsZero() {
		t.Error("no time")
	}
	s = r.snapshot([]string{"x", "nope", "w"})
	if len(s.Services) != 2 || s.Services[0].Name != "w" || s.Services[1].Name != "x" {
		t.Errorf("by names: %+v", s.Services)
	}
	if s = r.snapshot([]string{}); len(s.Services) != 0 {
		t.Errorf("no names: %+v", s.Services)
	}
}

// A request without room for its answer is dropped, and the controller
// goes on.
func TestSnapshotNoRoom(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.tree.System.Root.Send(r.tree.Controller, SnapshotRequest{Reply: make(chan Snapshot)})
	r.ok("service a cmd=sleep 1")
	if s := r.snapshot(nil); len(s.Services) != 1 {
		t.Errorf("%+v", s.Services)
	}
}
