package sockets

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/messages"
)

// holdBindDone makes every bind's goroutine wait between the hand-over
// of its listener and the bindDone sent (bindHandedOver), until release
// (the test's end at the latest).
type holdBindDone struct {
	entered chan struct{}
	once    sync.Once
	gate    chan struct{}
}

func newHoldBindDone(t *testing.T) *holdBindDone {
	h := &holdBindDone{entered: make(chan struct{}, 16), gate: make(chan struct{})}
	old := bindHandedOver
	bindHandedOver = func() {
		h.entered <- struct{}{}
		<-h.gate
	}
	t.Cleanup(func() { bindHandedOver = old })
	t.Cleanup(h.release) // first
	return h
}

func (h *holdBindDone) release() { h.once.Do(func() { close(h.gate) }) }

func (h *holdBindDone) wait(t *testing.T, what string) {
	t.Helper()
	select {
	case <-h.entered:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: the bind never ended", what)
	}
}

// stopSocket stops a socket actor and waits for its end.
func (r *socketRig) stopSocket(pid *actor.PID) {
	r.t.Helper()
	if err := r.sys.Root.StopFuture(pid).Wait(); err != nil {
		r.t.Fatalf("stop %s: %v", pid.Id, err)
	}
}

// removals reports the removal of each UNIX socket's file as it
// begins (pathHook "remove"), that is once its listener's fd is closed
// (Listener.Close).
func removals(t *testing.T) chan string {
	ch := make(chan string, 16)
	old := pathHook
	pathHook = func(op, path string) error {
		if op == "remove" {
			ch <- path
		}
		return nil
	}
	t.Cleanup(func() { pathHook = old })
	return ch
}

// waitClosed waits for the UNIX socket on path to be closed, and its
// file removed; the test fails if nobody does.
func waitClosed(t *testing.T, removed chan string, path string) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	select {
	case p := <-removed:
		if p != path {
			t.Errorf("%s removed, want %s", p, path)
			return
		}
	case <-timeout:
		accepts := "refuses connections"
		if c, err := net.Dial("unix", path); err == nil {
			c.Close()
			accepts = "accepts connections"
		}
		t.Errorf("%s: not closed 5s after the socket actor's end, %s: its listener leaked", path, accepts)
		return
	}
	for {
		if _, err := os.Lstat(path); errors.Is(err, os.ErrNotExist) {
			return
		}
		select {
		case <-timeout:
			t.Errorf("%s: its listener closed, the file is still there", path)
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// A bind off the actor handed its listener over in a bindDone, sent once
// the goroutine had checked that the bind was still wanted: an actor that
// stopped between the check and the send (the controller's end), or
// with the bindDone still in its mailbox (system messages first), never
// received it, and nothing closed the listener: its path accepted
// connections after the socket's end; likewise an unbind that cancelled
// the bind after the check, the actor stopping before the bindDone. The
// goroutine and the actor now agree on the listener through one atomic
// hand-over (bindop.go): the actor's stop, or the unbind, closes one
// handed already, the goroutine one it would hand after.
func TestStopDuringBindLeaksNoListener(t *testing.T) {
	h := newHoldBindDone(t)
	removed := removals(t)
	r := newSocketRig(t)
	dir := shortDir(t)
	bindHeld := func(name string, req messages.RequestID) (*actor.PID, string) {
		path := filepath.Join(dir, name+".sock")
		pid := r.socket(name)
		r.sys.Root.Send(pid, messages.BindSocket{Req: req, Config: messages.SocketConfig{Name: name, Host: "unix/", Service: path}})
		h.wait(t, "bind "+name)
		return pid, path
	}

	// the actor stops after the hand-over, before the bindDone
	stopped, stoppedPath := bindHeld("stopped", 1)
	r.stopSocket(stopped)

	// an unbind cancels the bind after the hand-over, and the actor
	// stops before the bindDone
	cancelled, cancelledPath := bindHeld("cancelled", 2)
	r.sys.Root.Send(cancelled, messages.UnbindSocket{Req: 3})
	r.expect("the cancelled bind", 2, "cannot bind 'cancelled': cancelled by an unbind")
	r.expect("unbind", 3, "")
	r.stopSocket(cancelled)

	h.release() // the bindDones go to actors gone
	waitClosed(t, removed, stoppedPath)
	waitClosed(t, removed, cancelledPath)
}
