// Package actors is cfk's actor tree: the Controller (root), one Service
// actor per declared service and one socket actor (package sockets) per
// declared socket, on protoactor-go.
//
// Model:
//
//	ActorSystem
//	└── controller         declarations (ServiceConfig, SocketConfig), registry, selectors, reply aggregation
//	    ├── service-NAME-… one per service: the lifecycle state machine of SPEC §2
//	    └── socket/NAME    one per socket: owns the listening fd (sockets.Socket)
//
// The controller owns what services are declared to be; each Service owns
// what its process is doing. A Service sends ServiceUpdated to the
// controller after every change, so status/desc/pids/list are answered by
// the controller alone. Multi-service verbs fan out one command per service
// and are gathered into exactly one Reply ("done N" rule of SPEC §1.4). A
// rolling restart (`command rollingrestart SEL`) is the same gather made
// sequential: RestartService{UntilRunning} goes to one service at a time,
// answered once it is running again; the first failure stops the roll.
//
// Shared sockets (sockets.go): the controller keeps the table of bound
// sockets (name → *os.File) as an immutable map, replaced on every bind
// and unbind and sent to every service actor (SocketsChanged); a new
// service actor gets the current one at creation. A service launches, and
// respawns on its own, with the table it has: the tied socket as fd 0,
// listen_sockets as fds 3, 4, ... with LISTEN_FDS/LISTEN_FDNAMES and a
// /bin/sh shim that sets LISTEN_PID to the service's own pid. Unbind is
// refused while a service using the socket is up, in backoff or being
// started; otherwise every service acknowledges the table without the
// socket before the socket actor closes the fd, so that no launch ever
// sees a closed or reused descriptor. Shutdown brings every service down
// first, then closes every socket, then answers and publishes
// ShutdownCompleted.
//
// Invariants:
//   - Receive never blocks: timers are messages to self carrying a
//     generation number (stale ones are dropped), process exits arrive as
//     ProcessExited from the osproc reaper, restart/destroy replies are
//     deferred until the service is down. The syscalls made inside
//     Receive are fork/exec itself (bounded, serialised by the kernel)
//     and, in a socket actor, the few of a bind; name lookups run in a
//     goroutine.
//   - A service changes state only in Service.transition, which publishes
//     ServiceStateChanged on the event stream and updates the controller.
//   - Process restart policy is the state machine, not actor supervision.
//     A panic in an actor is logged, published as ActorPanicked, the lost
//     request gets an error reply, and the actor is resumed with its state:
//     the process it owns is never lost.
//   - Nothing polls and nothing ticks: an idle tree uses no CPU.
package actors
