package sockets

import (
	"errors"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/messages"
	"github.com/sirupsen/logrus"
)

// A UNIX socket's user lookup that never answers (a dead LDAP or sssd:
// os/user takes no context) fails the bind after the lookup timeout,
// naming the lookup, and leaves no file (REFERENCE §1.2); a bind of the
// socket again waits for the lookup in flight rather than starting
// another. Before, the bind never answered: its client waited until its
// own timeout, and every later lookup of the name left a goroutine more.
func TestUnixOwnerLookupThatNeverAnswers(t *testing.T) {
	release := make(chan struct{})
	var calls atomic.Int32
	oldUser, oldTimeout := userLookup, lookupTimeout
	userLookup = func(string) (*user.User, error) {
		calls.Add(1)
		<-release
		return nil, errors.New("late")
	}
	lookupTimeout = 100 * time.Millisecond
	t.Cleanup(func() { close(release); userLookup, lookupTimeout = oldUser, oldTimeout })

	replies := make(chan messages.SocketReply, 4)
	log := logrus.New()
	log.SetOutput(io.Discard)
	sys := actor.NewActorSystem()
	var sock *actor.PID
	parent, err := sys.Root.SpawnNamed(actor.PropsFromFunc(func(c actor.Context) {
		switch m := c.Message().(type) {
		case *actor.Started:
			sock = c.Spawn(actor.PropsFromProducer(func() actor.Actor { return New("web", log) }))
		case messages.BindSocket:
			c.Send(sock, m)
		case messages.SocketReply:
			replies <- m
		}
	}), "owner-timeout-test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sys.Root.Stop(parent) })

	path := filepath.Join(shortDir(t), "web.sock")
	cfg := messages.SocketConfig{Name: "web", Host: "unix/", Service: path, User: "www-cfk"}
	for i := range 2 {
		sys.Root.Send(parent, messages.BindSocket{Req: messages.RequestID(i + 1), Config: cfg})
		select {
		case r := <-replies:
			want := `cannot bind 'web': user lookup "www-cfk" did not answer within 100ms`
			if r.Err == nil || r.Err.Error() != want || r.File != nil {
				t.Fatalf("bind %d: %+v, want the error %s", i+1, r, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("bind %d: no answer in 10s (the lookup hangs)", i+1)
		}
		if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s left after a failed bind: %v", path, err)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d lookups of the name started, want 1 (the second bind waits for the one in flight)", n)
	}
}
