package actors

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/notify"
)

// Tree is a running actor tree: the system and its controller.
type Tree struct {
	System     *actor.ActorSystem
	Controller *actor.PID
	notify     *notify.Listener
	hub        *eventHub
	hook       *logHook
	tail       *Tail
	dispatch   *poolDispatcher // the controller's
}

// Start builds the actor system and spawns the controller. opts.Launcher
// is required.
func Start(opts Options) (*Tree, error) {
	if opts.Launcher == nil {
		return nil, errors.New("actors: Options.Launcher is required")
	}
	opts = opts.withDefaults()
	sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(newLogrusHandler(opts.Log))
	}))
	ShrinkRegistry(sys, treeRegistryBuckets)
	// the event lines and the tails (REFERENCE §1.5): every line a service
	// writes goes through the tail store, on to the logger it wraps
	opts.hub = newEventHub(sys.EventStream)
	opts.tail = newTail(opts.Lines, opts.TailBytes) // the actors use opts.tail, not opts.Lines
	hook := &logHook{}
	hook.h.Store(opts.hub)
	opts.Log.AddHook(hook)
	// the controller's mailbox runs on a worker of its own that keeps its
	// stack, not on a new goroutine at each run (protoactor's default):
	// during a mass start or stop its mailbox empties and fills again
	// thousands of times, and each new goroutine grew its stack anew
	dispatch := newPoolDispatcher(1, 300)
	props := actor.PropsFromProducer(func() actor.Actor { return newController(opts) },
		actor.WithGuardian(&resumeStrategy{log: opts.Log}), actor.WithDispatcher(dispatch))
	pid, err := sys.Root.SpawnNamed(props, "controller")
	if err != nil {
		dispatch.close()
		return nil, fmt.Errorf("actors: spawn controller: %w", err)
	}
	t := &Tree{System: sys, Controller: pid, hub: opts.hub, hook: hook, tail: opts.tail, dispatch: dispatch}
	if opts.NotifySocket != "" {
		if opts.NotifyFile != nil {
			t.notify, err = notify.FromFile(opts.NotifySocket, opts.NotifyFile)
		} else {
			t.notify, err = notify.Listen(opts.NotifySocket)
		}
		if err != nil {
			t.Stop()
			return nil, err
		}
		go t.notify.Serve(func(m notify.Message) { sys.Root.Send(pid, notifyReceived{msg: m}) })
	}
	return t, nil
}

// Request sends a statement (or any controller message) and waits for its
// reply. For callers outside the actor system only (mains, tests).
func (t *Tree) Request(msg any, timeout time.Duration) (messages.Reply, error) {
	res, err := t.System.Root.RequestFuture(t.Controller, msg, timeout).Result()
	if err != nil {
		return messages.Reply{}, fmt.Errorf("controller did not answer: %w", err)
	}
	r, ok := res.(messages.Reply)
	if !ok {
		return messages.Reply{}, fmt.Errorf("controller answered %T", res)
	}
	return r, nil
}

// Exec parses one line of the command language and runs it. A blank line
// is answered with an empty OK (as a config file skips it).
func (t *Tree) Exec(line string, timeout time.Duration) messages.Reply {
	if messages.IsBlank(line) {
		return messages.Reply{}
	}
	st, err := messages.Parse(line)
	if err != nil {
		return messages.ErrorReply(err)
	}
	r, err := t.Request(st, timeout)
	if err != nil {
		return messages.ErrorReply(err)
	}
	return r
}

// Stop shuts the actor system down (without touching processes: shut the
// services down first with `command shutdown`).
func (t *Tree) Stop() {
	if t.notify != nil {
		t.notify.Close()
	}
	t.hook.h.Store(nil) // the hook stays on the logger, inert
	t.hub.stop()
	t.System.Shutdown()
	t.dispatch.close()
}

// Tail returns the store of the services' last lines of output (`command
// tail`, REFERENCE §1.4).
func (t *Tree) Tail() *Tail { return t.tail }

// NotifyFile returns a dup of the notify socket (REFERENCE §2.9), nil
// without one: what an upgrade in place hands over (REFERENCE §13).
func (t *Tree) NotifyFile() (*os.File, error) {
	if t.notify == nil {
		return nil, nil
	}
	return t.notify.File()
}
