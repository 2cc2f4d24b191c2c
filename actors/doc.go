// Package actors is cfk's actor tree: the Controller (root) and one Service
// actor per declared service, on protoactor-go.
//
// Model:
//
//	ActorSystem
//	└── controller         declarations (ServiceConfig), registry, selectors, reply aggregation
//	    └── service-NAME-… one per service: the lifecycle state machine of SPEC §2
//
// The controller owns what services are declared to be; each Service owns
// what its process is doing. A Service sends ServiceUpdated to the
// controller after every change, so status/desc/pids/list are answered by
// the controller alone. Multi-service verbs fan out one command per service
// and are gathered into exactly one Reply ("done N" rule of SPEC §1.4).
//
// Invariants:
//   - Receive never blocks: timers are messages to self carrying a
//     generation number (stale ones are dropped), process exits arrive as
//     ProcessExited from the osproc reaper, restart/destroy replies are
//     deferred until the service is down. The one syscall made inside
//     Receive is fork/exec itself (bounded, serialised by the kernel).
//   - A service changes state only in Service.transition, which publishes
//     ServiceStateChanged on the event stream and updates the controller.
//   - Process restart policy is the state machine, not actor supervision.
//     A panic in an actor is logged, published as ActorPanicked, the lost
//     request gets an error reply, and the actor is resumed with its state:
//     the process it owns is never lost.
//   - Nothing polls and nothing ticks: an idle tree uses no CPU.
package actors
