package fleet

import (
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// spawnGateway runs the gateway of member h1 over local, in an actor
// system of its own with its outbox, until the test ends; set, if not
// nil, sets its other fields before it starts.
func spawnGateway(t *testing.T, local Local, set func(*gateway)) (*actor.ActorSystem, *actor.PID) {
	t.Helper()
	sys := actor.NewActorSystem()
	out := newOutbox(sys.Root)
	go out.run()
	t.Cleanup(func() { out.close(); sys.Shutdown() })
	gw := &gateway{local: local, out: out, name: "h1", version: "cfk test", log: quietLog(),
		calls: map[callKey]*gwCall{}, perHub: map[string]int{}, subs: map[callKey]*gwSub{}, hubs: map[string]*actor.PID{}}
	if set != nil {
		set(gw)
	}
	return sys, sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return gw }))
}

// collector is an actor in the place of a hub: each message of type T
// it gets goes to the returned channel (of n places).
func collector[T any](sys *actor.ActorSystem, n int) (*actor.PID, chan T) {
	ch := make(chan T, n)
	return sys.Root.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		if m, ok := c.Message().(T); ok {
			ch <- m
		}
	})), ch
}

// within is the next value of ch; the test fails if none comes within
// 10 s, saying what.
func within[T any](t *testing.T, ch chan T, what string) T {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(10 * time.Second):
		t.Fatal(what)
	}
	var zero T
	return zero
}
