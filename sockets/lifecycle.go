package sockets

import "github.com/asynkron/protoactor-go/actor"

// This file is the socket actor's lifecycle, in one place: what each
// message does in each state. A new behaviour is a new row.

// state is where a socket actor is.
type state int

const (
	unbound   state = iota
	binding         // its bind runs off the actor (offActor)
	bound           // it holds the listening socket
	unbinding       // a UNIX socket's close (its file removed) runs off the actor
	adopting        // bound by a former cfkd (Adopted): its file is identified off the actor
)

// event is a message a socket actor acts on.
type event int

const (
	evBind       event = iota // messages.BindSocket
	evUnbind                  // messages.UnbindSocket
	evBindDone                // bindDone: the end of a bind off the actor
	evClosed                  // closed: the end of a UNIX socket's close
	evStopping                // *actor.Stopping
	evStarted                 // *actor.Started
	evIdentified              // identified: the end of an adopted socket's file's lstat
)

type row struct {
	st state
	ev event
}

// transitions: a message without a row in its state is dropped (a closed
// comes only while unbinding, an identified only while adopting).
var transitions = map[row]func(*Socket, actor.Context, any){
	{adopting, evStarted}: (*Socket).identify,

	{unbound, evBind}:   (*Socket).startBind,
	{binding, evBind}:   refuse("being bound"),
	{bound, evBind}:     refuse("already bound"),
	{unbinding, evBind}: refuse("being unbound"),
	{adopting, evBind}:  refuse("already bound"),

	{unbound, evUnbind}:   (*Socket).alreadyUnbound,
	{binding, evUnbind}:   (*Socket).cancelBind,
	{bound, evUnbind}:     (*Socket).unbind,
	{unbinding, evUnbind}: (*Socket).waitClose,
	{adopting, evUnbind}:  (*Socket).waitClose, // closed once adopted

	{binding, evBindDone}:   (*Socket).bindEnded, // or dropped: of a bind cancelled before this one
	{unbound, evBindDone}:   (*Socket).dropBind,  // a bind cancelled by an unbind
	{bound, evBindDone}:     (*Socket).dropBind,
	{unbinding, evBindDone}: (*Socket).dropBind,

	{unbinding, evClosed}: (*Socket).closeDone,

	{adopting, evIdentified}: (*Socket).adopted,

	{unbound, evStopping}:   (*Socket).stop,
	{binding, evStopping}:   (*Socket).stopBind,
	{bound, evStopping}:     (*Socket).stop,
	{unbinding, evStopping}: (*Socket).stopClose,
	{adopting, evStopping}:  (*Socket).stopClose,
}
