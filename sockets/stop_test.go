package sockets

import (
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/messages"
	"github.com/sirupsen/logrus"
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

// waitClosed waits for the UNIX sockets on paths to be closed, and their
// files removed, in any order (each by a goroutine of its own); the test
// fails if nobody does.
func waitClosed(t *testing.T, removed chan string, paths ...string) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	left := slices.Clone(paths)
	for len(left) > 0 {
		select {
		case p := <-removed:
			i := slices.Index(left, p)
			if i < 0 {
				t.Errorf("%s removed, want one of %q", p, left)
				return
			}
			left = slices.Delete(left, i, i+1)
		case <-timeout:
			for _, path := range left {
				accepts := "refuses connections"
				if c, err := net.Dial("unix", path); err == nil {
					c.Close()
					accepts = "accepts connections"
				}
				t.Errorf("%s: not closed 5s after the socket actor's end, %s: its listener leaked", path, accepts)
			}
			return
		}
	}
	for _, path := range paths {
		for {
			if _, err := os.Lstat(path); errors.Is(err, os.ErrNotExist) {
				break
			}
			select {
			case <-timeout:
				t.Errorf("%s: its listener closed, the file is still there", path)
				return
			case <-time.After(10 * time.Millisecond):
			}
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
	r.expect("the bind at the actor's end", 1, "cannot bind 'stopped': cfkd is shutting down")

	// an unbind cancels the bind after the hand-over, and the actor
	// stops before the bindDone
	cancelled, cancelledPath := bindHeld("cancelled", 2)
	r.sys.Root.Send(cancelled, messages.UnbindSocket{Req: 3})
	r.expect("the cancelled bind", 2, "cannot bind 'cancelled': cancelled by an unbind")
	r.expect("unbind", 3, "")
	r.stopSocket(cancelled)

	h.release() // the bindDones go to actors gone
	// each closed by a goroutine of its own: in either order
	waitClosed(t, removed, stoppedPath, cancelledPath)
}

// The unbinds waiting for a UNIX socket's close under way, or for an
// adopted socket's file to be identified, and the bind under way, got no
// reply at all if the socket actor stopped meanwhile: their answers were
// to come from work whose result then reaches an actor gone. The actor's
// end answers them now, `cfkd is shutting down` (`cannot bind 'NAME':
// cfkd is shutting down`): exactly one reply per request, even at the end.
func TestStopAnswersEveryRequest(t *testing.T) {
	h := newHangPaths(t, time.Hour)
	r := newSocketRig(t)
	log := logrus.New()
	log.SetOutput(io.Discard)
	dir := shortDir(t)
	cfgOf := func(name string) messages.SocketConfig {
		return messages.SocketConfig{Name: name, Host: "unix/", Service: filepath.Join(dir, name+".sock")}
	}

	// unbinding: its file's removal hangs; an unbind comes meanwhile
	closing, closingCfg := r.socket("closing"), cfgOf("closing")
	r.sys.Root.Send(closing, messages.BindSocket{Req: 1, Config: closingCfg})
	r.expect("bind", 1, "")
	h.hang("remove", closingCfg.Service)
	r.sys.Root.Send(closing, messages.UnbindSocket{Req: 2})
	h.wait(t, "remove "+closingCfg.Service)
	r.sys.Root.Send(closing, messages.UnbindSocket{Req: 3})
	// a bind then, refused, shows the unbind received (the stop, a
	// system message, goes before the messages still queued)
	r.sys.Root.Send(closing, messages.BindSocket{Req: 30, Config: closingCfg})
	r.expect("bind while unbinding", 30, "socket 'closing' is being unbound")
	r.stopSocket(closing)
	r.expect("the unbind under way at the end", 2, "cfkd is shutting down")
	r.expect("the unbind waiting at the end", 3, "cfkd is shutting down")

	// adopting: its file's lstat hangs; two unbinds wait for it
	adoptedCfg := cfgOf("adopted")
	h.hang("lstat", adoptedCfg.Service)
	l, err := bindCfg(t, adoptedCfg) // the former cfkd's bind
	if err != nil {
		t.Fatal(err)
	}
	adopted := r.spawn(spawnSocket{name: "adopted", actor: func() *Socket {
		return Adopted("adopted", log, l.File, adoptedCfg, adoptedCfg.Service)
	}})
	h.wait(t, "lstat "+adoptedCfg.Service)
	r.sys.Root.Send(adopted, messages.UnbindSocket{Req: 4})
	r.sys.Root.Send(adopted, messages.UnbindSocket{Req: 5})
	r.sys.Root.Send(adopted, messages.BindSocket{Req: 50, Config: adoptedCfg})
	r.expect("bind while adopting", 50, "socket 'adopted' is already bound")
	h.hang("remove", adoptedCfg.Service)
	r.stopSocket(adopted)
	r.expect("an unbind waiting for the adoption at the end", 4, "cfkd is shutting down")
	r.expect("another one", 5, "cfkd is shutting down")
	// the stop closes the socket off the actor: its fd, then its file
	// (which it leaves, not identified)
	h.wait(t, "remove "+adoptedCfg.Service)
	if c, err := net.Dial("unix", adoptedCfg.Service); err == nil {
		c.Close()
		t.Fatalf("the adopted socket accepts after the actor's end")
	}

	// binding: its bind hangs
	binding, bindingCfg := r.socket("binding"), cfgOf("binding")
	h.hang("bind", bindingCfg.Service)
	r.sys.Root.Send(binding, messages.BindSocket{Req: 6, Config: bindingCfg})
	h.wait(t, "bind "+bindingCfg.Service)
	r.stopSocket(binding)
	r.expect("the bind under way at the end", 6, "cannot bind 'binding': cfkd is shutting down")

	select {
	case m := <-r.replies:
		t.Fatalf("a reply more: %d %v", m.Req, m.Err)
	default:
	}
}
