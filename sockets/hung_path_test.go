package sockets

import (
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/messages"
	"github.com/sirupsen/logrus"
)

// hangPaths makes the file system work on the paths given hang (pathHook),
// as on a hung NFS or FUSE mount, until the test ends: then it fails,
// touching nothing.
type hangPaths struct {
	mu      sync.Mutex
	paths   map[string]bool
	entered chan string
	release chan struct{}
}

// newHangPaths also sets pathTimeout, how long the actor waits for such
// work, until the test ends.
func newHangPaths(t *testing.T, timeout time.Duration) *hangPaths {
	h := &hangPaths{paths: map[string]bool{}, entered: make(chan string, 16), release: make(chan struct{})}
	oldHook, oldTimeout := pathHook, pathTimeout
	pathHook = func(op, path string) error {
		h.mu.Lock()
		hang := h.paths[op+" "+path]
		h.mu.Unlock()
		if !hang {
			return nil
		}
		select {
		case h.entered <- op + " " + path:
			<-h.release
		case <-h.release: // a hang no wait took, once the test is over
		}
		return errors.New("the test is over")
	}
	pathTimeout = timeout
	t.Cleanup(func() { close(h.release); pathHook, pathTimeout = oldHook, oldTimeout })
	return h
}

func (h *hangPaths) hang(op, path string) {
	h.mu.Lock()
	h.paths[op+" "+path] = true
	h.mu.Unlock()
}

// wait waits for the work on a path to hang (what: "bind PATH").
func (h *hangPaths) wait(t *testing.T, what string) {
	t.Helper()
	select {
	case p := <-h.entered:
		if p != what {
			t.Fatalf("%s hangs, want %s", p, what)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: never began", what)
	}
}

// socketRig is a parent actor whose socket actors' replies the test reads.
type socketRig struct {
	t       *testing.T
	sys     *actor.ActorSystem
	parent  *actor.PID
	replies chan messages.SocketReply
}

type spawnSocket struct {
	name  string
	actor func() *Socket // New(name) when nil
	pid   chan *actor.PID
}

func newSocketRig(t *testing.T) *socketRig {
	r := &socketRig{t: t, sys: actor.NewActorSystem(), replies: make(chan messages.SocketReply, 16)}
	log := logrus.New()
	log.SetOutput(io.Discard)
	var err error
	r.parent, err = r.sys.Root.SpawnNamed(actor.PropsFromFunc(func(c actor.Context) {
		switch m := c.Message().(type) {
		case spawnSocket:
			produce := m.actor
			if produce == nil {
				produce = func() *Socket { return New(m.name, log) }
			}
			m.pid <- c.Spawn(actor.PropsFromProducer(func() actor.Actor { return produce() }))
		case messages.SocketReply:
			r.replies <- m
		}
	}), "hung-path-test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.sys.Root.Stop(r.parent) })
	return r
}

func (r *socketRig) socket(name string) *actor.PID {
	return r.spawn(spawnSocket{name: name})
}

func (r *socketRig) spawn(m spawnSocket) *actor.PID {
	r.t.Helper()
	m.pid = make(chan *actor.PID, 1)
	r.sys.Root.Send(r.parent, m)
	select {
	case pid := <-m.pid:
		return pid
	case <-time.After(10 * time.Second):
		r.t.Fatalf("socket %s: not spawned in 10s (its producer waits for a hung path?)", m.name)
	}
	return nil
}

// next is the next reply, within the deadline.
func (r *socketRig) next(what string) messages.SocketReply {
	r.t.Helper()
	select {
	case m := <-r.replies:
		return m
	case <-time.After(10 * time.Second):
		r.t.Fatalf("%s: no reply in 10s (the socket actor waits for the hung path?)", what)
	}
	return messages.SocketReply{}
}

func (r *socketRig) expect(what string, req messages.RequestID, wantErr string) messages.SocketReply {
	r.t.Helper()
	m := r.next(what)
	got := ""
	if m.Err != nil {
		got = m.Err.Error()
	}
	if m.Req != req || got != wantErr {
		r.t.Fatalf("%s: reply %d %q, want %d %q", what, m.Req, got, req, wantErr)
	}
	return m
}

// The file system work of a UNIX socket's bind and close (lstat, the
// connect probe, unlink, bind, chown, chmod) ran in the socket actor's
// Receive: a path on a hung mount held the actor, so that a bind again
// or an unbind of the socket (shutdown's) was never answered. It runs off
// the actor now (REFERENCE §3): meanwhile the actor answers, other
// sockets bind, an unbind cancels the bind; and a path that never
// answers fails the bind, or the unbind, after PathTimeout.
func TestUnixHungPathHoldsNoActor(t *testing.T) {
	h := newHangPaths(t, time.Hour) // first, a hang with no end in sight
	r := newSocketRig(t)
	dir := shortDir(t)
	hungPath, okPath := filepath.Join(dir, "hung.sock"), filepath.Join(dir, "ok.sock")
	h.hang("bind", hungPath)
	hung, ok := r.socket("hung"), r.socket("ok")
	hungCfg := messages.SocketConfig{Name: "hung", Host: "unix/", Service: hungPath}

	r.sys.Root.Send(hung, messages.BindSocket{Req: 1, Config: hungCfg})
	h.wait(t, "bind "+hungPath)
	// the actor answers while its bind hangs: a bind again is refused
	r.sys.Root.Send(hung, messages.BindSocket{Req: 2, Config: hungCfg})
	r.expect("bind again", 2, "socket 'hung' is being bound")
	// another socket binds
	r.sys.Root.Send(ok, messages.BindSocket{Req: 3, Config: messages.SocketConfig{Name: "ok", Host: "unix/", Service: okPath}})
	if m := r.expect("bind ok", 3, ""); m.Service != okPath {
		t.Fatalf("ok bound on %q", m.Service)
	}
	// an unbind (shutdown's) cancels the bind, answered first, at once
	r.sys.Root.Send(hung, messages.UnbindSocket{Req: 4})
	r.expect("the cancelled bind", 1, "cannot bind 'hung': cancelled by an unbind")
	r.expect("unbind", 4, "")

	// a bound of the wait: a path that does not answer fails the bind
	pathTimeout = 100 * time.Millisecond
	r.sys.Root.Send(hung, messages.BindSocket{Req: 5, Config: hungCfg})
	h.wait(t, "bind "+hungPath)
	r.expect("bind, hung", 5, "cannot bind 'hung': bind "+hungPath+": the file system did not answer within 100ms")

	// the close of a socket whose path no longer answers: the unbind,
	// and one sent meanwhile, are answered in order after PathTimeout
	h.hang("remove", okPath)
	r.sys.Root.Send(ok, messages.UnbindSocket{Req: 6})
	h.wait(t, "remove "+okPath)
	r.sys.Root.Send(ok, messages.UnbindSocket{Req: 7})
	r.sys.Root.Send(ok, messages.BindSocket{Req: 8, Config: messages.SocketConfig{Name: "ok", Host: "unix/", Service: okPath}})
	want := "socket 'ok' unbound, its file perhaps left behind (the next bind removes it): remove " + okPath + ": the file system did not answer within 100ms"
	r.expect("bind while unbinding", 8, "socket 'ok' is being unbound")
	r.expect("unbind, hung", 6, want)
	r.expect("unbind again, hung", 7, want)
	if _, err := os.Lstat(okPath); err != nil {
		t.Fatalf("%s: %v, want the file left behind", okPath, err)
	}
	// the socket is closed: nobody accepts on the file left behind
	if c, err := net.Dial("unix", okPath); !errors.Is(err, syscall.ECONNREFUSED) {
		if c != nil {
			c.Close()
		}
		t.Fatalf("connect to the file left behind: %v, want refused", err)
	}
}

// The adoption of a UNIX socket a former cfkd bound (an upgrade in place,
// REFERENCE §13) lstat'ed its file in the actor's producer, that is in
// the controller's Receive: a path on a hung mount held the controller.
// The file is identified off the actor now: meanwhile the actor answers,
// an unbind waits for the adoption; a path that does not answer leaves
// the file unknown, which the close then leaves alone.
func TestAdoptedUnixSocketHungPath(t *testing.T) {
	h := newHangPaths(t, 200*time.Millisecond)
	r := newSocketRig(t)
	log := logrus.New()
	log.SetOutput(io.Discard)
	dir := shortDir(t)
	adopt := func(name string) (*actor.PID, string) {
		path := filepath.Join(dir, name+".sock")
		cfg := messages.SocketConfig{Name: name, Host: "unix/", Service: path}
		l, err := bindCfg(t, cfg) // the former cfkd's bind
		if err != nil {
			t.Fatal(err)
		}
		return r.spawn(spawnSocket{name: name, actor: func() *Socket { return Adopted(name, log, l.File, cfg, path) }}), path
	}

	hungPath := filepath.Join(dir, "hung.sock")
	h.hang("lstat", hungPath)
	hung, _ := adopt("hung")
	h.wait(t, "lstat "+hungPath)
	r.sys.Root.Send(hung, messages.BindSocket{Req: 1, Config: messages.SocketConfig{Name: "hung", Host: "unix/", Service: hungPath}})
	r.expect("bind while adopting", 1, "socket 'hung' is already bound")
	r.sys.Root.Send(hung, messages.UnbindSocket{Req: 2})
	r.expect("unbind while adopting", 2, "")
	if _, err := os.Lstat(hungPath); err != nil {
		t.Fatalf("the file not identified was removed: %v", err)
	}
	if c, err := net.Dial("unix", hungPath); !errors.Is(err, syscall.ECONNREFUSED) {
		if c != nil {
			c.Close()
		}
		t.Fatalf("connect to the socket unbound: %v, want refused", err)
	}

	// a path that answers: the close removes the file
	ok, okPath := adopt("ok")
	r.sys.Root.Send(ok, messages.UnbindSocket{Req: 3})
	r.expect("unbind", 3, "")
	if _, err := os.Lstat(okPath); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%s after the unbind: %v, want removed", okPath, err)
	}
}
