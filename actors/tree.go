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
	"github.com/sirupsen/logrus"
)

// Tree is a running actor tree: the system and its controller.
type Tree struct {
	System     *actor.ActorSystem
	Controller *actor.PID
	notify     *notify.Listener
	// notifyShared: the socket of the services whose user cannot enter
	// cfkd's home (REFERENCE §2.9)
	notifyShared *notify.Listener
	hub          *eventHub
	hook         *logHook
	tail         *Tail
	dispatch     *poolDispatcher // the controller's
}

// Start builds the actor system and spawns the controller. opts.Launcher
// is required.
func Start(opts Options) (*Tree, error) {
	if opts.Launcher == nil {
		return nil, errors.New("actors: Options.Launcher is required")
	}
	opts = opts.withDefaults()
	var own, shared *notify.Listener
	if opts.NotifySocket != "" {
		// bound before the controller, which hands the shared one's
		// address to the services
		var err error
		if own, shared, err = listenNotify(opts); err != nil {
			return nil, err
		}
		opts.notifyShared = shared
	} else if opts.NotifySharedFile != nil {
		opts.NotifySharedFile.Close() // handed over, but this cfkd has no notify
	}
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
		for _, l := range []*notify.Listener{own, shared} {
			if l != nil {
				l.Close()
			}
		}
		return nil, fmt.Errorf("actors: spawn controller: %w", err)
	}
	t := &Tree{System: sys, Controller: pid, hub: opts.hub, hook: hook, tail: opts.tail, dispatch: dispatch,
		notify: own, notifyShared: shared}
	for _, l := range []*notify.Listener{own, shared} {
		if l != nil {
			go l.Serve(func(m notify.Message) { sys.Root.Send(pid, notifyReceived{msg: m}) })
		}
	}
	return t, nil
}

// listenNotify binds (or takes over, after an upgrade in place) cfkd's
// notify socket and the shared one (REFERENCE §2.9). Without the shared
// one (an old cfkd handed none over and none can be bound), the services
// of other users are refused ready=notify, as before it existed.
func listenNotify(opts Options) (own, shared *notify.Listener, err error) {
	if opts.NotifyFile != nil {
		own, err = notify.FromFile(opts.NotifySocket, opts.NotifyFile)
	} else {
		own, err = notify.Listen(opts.NotifySocket)
	}
	if err != nil {
		if opts.NotifySharedFile != nil {
			opts.NotifySharedFile.Close()
		}
		return nil, nil, err
	}
	if opts.NotifySharedFile != nil {
		shared, err = notify.SharedFromFile(opts.NotifyShared, opts.NotifySharedFile, opts.NotifyUids)
	} else {
		shared, err = notify.ListenShared()
	}
	if err != nil {
		opts.Log.Warnf("ready=notify of services run as other users is refused: %v", err)
	}
	return own, shared, nil
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
	for _, l := range []*notify.Listener{t.notify, t.notifyShared} {
		if l != nil {
			l.Close()
		}
	}
	t.hook.h.Store(nil) // the hook stays on the logger, inert
	t.hub.stop()
	t.System.Shutdown()
	t.dispatch.close()
}

// CfkdEvent makes a record cfkd wrote past its logger (a destination's
// "N lines dropped", logconf.Router.OnDropNote) an event of kind cfkd, as
// the logger's hook makes its warnings (REFERENCE §1.6). It only pushes.
func (t *Tree) CfkdEvent(e *logrus.Entry) { t.hook.Fire(e) }

// Tail returns the store of the services' last lines of output (`command
// tail`, REFERENCE §1.4).
func (t *Tree) Tail() *Tail { return t.tail }

// PauseNotify stops reading the notify sockets (REFERENCE §2.9) until
// ResumeNotify, once what was read went to the controller: an upgrade in
// place pauses them before its final state, so that the datagrams of the
// exec's moment wait in the sockets for the new cfkd (REFERENCE §13).
func (t *Tree) PauseNotify() {
	for _, l := range []*notify.Listener{t.notify, t.notifyShared} {
		if l != nil {
			l.Pause()
		}
	}
}

// ResumeNotify undoes PauseNotify.
func (t *Tree) ResumeNotify() {
	for _, l := range []*notify.Listener{t.notify, t.notifyShared} {
		if l != nil {
			l.Resume()
		}
	}
}

// NotifyFile returns a dup of the notify socket (REFERENCE §2.9), nil
// without one: what an upgrade in place hands over (REFERENCE §13).
func (t *Tree) NotifyFile() (*os.File, error) {
	if t.notify == nil {
		return nil, nil
	}
	return t.notify.File()
}

// NotifyShared returns a dup of the shared notify socket, its "@NAME" and
// the uids it takes (REFERENCE §2.9); nil without one. An upgrade in
// place hands them over (REFERENCE §13).
func (t *Tree) NotifyShared() (f *os.File, addr string, uids []int, err error) {
	if t.notifyShared == nil {
		return nil, "", nil, nil
	}
	f, err = t.notifyShared.File()
	return f, t.notifyShared.Path, t.notifyShared.Allowed(), err
}
