package sockets

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
	"github.com/sirupsen/logrus"
)

// abstractName is a name of the abstract namespace no other test (nor
// another process of this machine) uses.
func abstractName(t *testing.T) string {
	return fmt.Sprintf("@cfk-test-%d-%s-%d", os.Getpid(), t.Name(), time.Now().UnixNano())
}

// A UNIX socket whose path began with @ was refused (`the path of a UNIX
// socket must be absolute`). It binds in Linux's abstract namespace now,
// as systemd's ListenStream=@NAME (REFERENCE §3): a client connects, no
// file is made, and the unbind frees the name, which binds again.
func TestAbstractUnixSocket(t *testing.T) {
	r := newSocketRig(t)
	name := abstractName(t)
	cfg := messages.SocketConfig{Name: "abs", Host: "unix/", Service: name}
	s := r.socket("abs")
	for i, req := range []messages.RequestID{1, 3} {
		r.sys.Root.Send(s, messages.BindSocket{Req: req, Config: cfg})
		m := r.expect(fmt.Sprintf("bind %d", i+1), req, "")
		if m.Service != name {
			t.Fatalf("bound on %q, want %q", m.Service, name)
		}
		c, err := net.Dial("unix", name)
		if err != nil {
			t.Fatalf("bind %d: connect: %v", i+1, err)
		}
		c.Close()
		if _, err := os.Lstat(name); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("a file %s: %v, want none", name, err)
		}
		r.sys.Root.Send(s, messages.UnbindSocket{Req: req + 1})
		r.expect(fmt.Sprintf("unbind %d", i+1), req+1, "")
		if c, err := net.Dial("unix", name); !errors.Is(err, syscall.ECONNREFUSED) {
			if c != nil {
				c.Close()
			}
			t.Fatalf("connect after the unbind: %v, want refused", err)
		}
	}
}

// The name of a live abstract socket is refused to another, the error
// naming it; and user, group and mode, which no file takes, are refused
// at the bind too (the declaration refuses them first).
func TestAbstractUnixSocketRefusals(t *testing.T) {
	name := abstractName(t)
	cfg := messages.SocketConfig{Name: "abs", Host: "unix/", Service: name}
	mustBind(t, cfg)
	if _, err := bindCfg(t, cfg); err == nil || !errors.Is(err, syscall.EADDRINUSE) || !strings.Contains(err.Error(), name) {
		t.Fatalf("a second bind of %s: %v, want address in use, naming it", name, err)
	}
	for _, c := range []messages.SocketConfig{
		{Name: "abs", Host: "unix/", Service: name + "-u", User: "0"},
		{Name: "abs", Host: "unix/", Service: name + "-g", Group: "0"},
		{Name: "abs", Host: "unix/", Service: name + "-m", Mode: "0600"},
	} {
		want := c.Service + ": an abstract UNIX socket has no file: user, group and mode do not apply"
		if _, err := bindCfg(t, c); err == nil || err.Error() != want {
			t.Errorf("bind %+v: %v, want %q", c, err, want)
		}
	}
	if _, err := bindCfg(t, messages.SocketConfig{Name: "abs", Host: "unix/", Service: "@"}); err == nil ||
		err.Error() != "@: an abstract UNIX socket wants a name after the @" {
		t.Errorf("bind @: %v", err)
	}
}

// An abstract socket handed over by an upgrade in place (REFERENCE §13)
// was adopted as a UNIX socket with a file: its name lstat'ed, relative
// to cfkd's directory, and removed at the close if a file of that name
// was found there. It is bound at once now, with no file work: an unbind
// is answered while the lstat of its name would hang.
func TestAdoptedAbstractUnixSocket(t *testing.T) {
	h := newHangPaths(t, time.Hour)
	r := newSocketRig(t)
	log := logrus.New()
	log.SetOutput(io.Discard)
	name := abstractName(t)
	cfg := messages.SocketConfig{Name: "abs", Host: "unix/", Service: name}
	l, err := bindCfg(t, cfg) // the former cfkd's bind
	if err != nil {
		t.Fatal(err)
	}
	h.hang("lstat", name)
	h.hang("remove", name)
	s := r.spawn(spawnSocket{name: "abs", actor: func() *Socket { return Adopted("abs", log, l.File, cfg, name) }})
	r.sys.Root.Send(s, messages.UnbindSocket{Req: 1})
	r.expect("unbind of the adopted socket", 1, "")
	r.sys.Root.Send(s, messages.BindSocket{Req: 2, Config: cfg})
	r.expect("bind again", 2, "")
	r.sys.Root.Send(s, messages.UnbindSocket{Req: 3})
	r.expect("unbind", 3, "")
}
