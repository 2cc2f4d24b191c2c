// Package fleet is one control plane over many cfkd (REFERENCE §12): a
// hub sends the requests of its admin connections to the hosts of its
// inventory and gathers their answers, over protoactor-go's remote actors
// (gRPC streams) with mutual TLS.
//
// Model:
//
//	hub cfkd:  admin connection → Handler → hub actor ──Request──→ gateway → Local.Ask → controller
//	                                         hub actor ←─Accepted, Answer── gateway      (host cfkd)
//
// The parts:
//   - Every member (--fleet-listen) has a Node: an actor system apart from
//     the tree's, so that no peer can address the controller or a service
//     actor (they are not in its registry), with protoactor remote on it,
//     and one actor peers may address, the gateway. A hub has a second
//     one, the hub actor, which only hosts may address (answers, events).
//   - The wire (wire/fleet.proto): protobuf messages that carry lines of
//     the command language, as an admin console reads them: the gateway
//     parses each line, checks it against the member's Policy (package
//     rights' operate, plus --fleet-allow), audits it as a console does,
//     and runs it through Local.Ask (the tree's controller, by a short
//     actor of the tree): the controller never sees the network.
//   - A hub's request: Handler checks the hosts it names against the
//     inventory and hands it to the hub actor, which sends a Request to
//     each selected host (all at once, or with rolling-hosts one host at
//     a time, the next once the previous one answered OK with nothing but
//     `done N`) and answers once every host has an outcome: ok, error,
//     down (no Accepted within Config.Timeout, no Answer within
//     requestBound of the request, a second less than an admin
//     connection's bound, a connection lost or never made), or
//     skipped (after the host a rolling request stopped at). The reply's
//     lines are messages.FleetLine. A verb that acts on services goes as
//     one line with every selector (messages.Fleet.Lines), which the host
//     plans together; a host that refuses it with the original's
//     selector error (an older cfkd) is sent the lines one per selector
//     (Fleet.OneEach) as a request of its own.
//   - `fleet events`: the hub subscribes each host (Subscribe, the
//     events line); the gateway streams its tree's event lines in batches,
//     at most eventsWindow ahead of the hub's EventsAck; the hub pushes
//     them, tagged with the host, to the admin connection's feed, says when
//     a host goes down or comes back (an event of kind host), and tries a
//     host that is down again every Config.Timeout while the stream is
//     open. The connection's feed closing ends the subscriptions.
//   - A member whose cfkd goes (a shutdown, an upgrade's exec) tells the
//     hubs connected to it first (Node.Leave, wire.Leaving), and waits
//     for their LeavingAck, leaveBound at most (outside any actor): each
//     hub keeps why by address, until its next connection there, and
//     says it of the host rather than `connection lost`. Leave returns
//     the hubs told; the new cfkd of an upgrade in place (which gets them
//     in its environment) tells them it is back (Node.Back, wire.Back),
//     and they subscribe their streams there at once rather than at
//     their next retry (a Back that comes before protoactor says the
//     former cfkd's connection is lost: what went there is lost with it,
//     and the streams subscribe again once the loss is said, said as
//     the upgrade); so does the next cfkd of a host shut down, which
//     gets them from a file its former one wrote
//     (Node.BackFromShutdown): each address is first reached by a TLS
//     handshake outside any actor, and only a hub of this fleet answering
//     there is told (an address where nothing listens, given to
//     protoactor, would lose for 2 s what goes there); a cfkd whose exec failed says it stayed
//     (Node.Stayed, wire.Back with stayed), and they forget why it would
//     go.
//
// Security (REFERENCE §12.6), in the order a message meets it:
//   - TLS 1.3 only, a certificate from the fleet CA required of both
//     sides (certs.Credentials.Server, .Client); the certificate's OU says
//     the role: a member that is not a hub accepts hubs only; a dialler
//     checks the role of whom it reached. Plaintext gets no handshake.
//     handshakes bounds the handshakes in progress (64 from one IP
//     address, 512 in all): past them a connection is closed when
//     accepted, so connections that never handshake hold few fds.
//   - guard: every gRPC method but protoactor's message stream is
//     refused (its unary methods panic, unimplemented); a panic in
//     protoactor's stream handler is recovered and closes that stream;
//     every envelope is checked before protoactor reads it: the proto
//     serializer only, indexes within the batch, a fleet type (routes), to
//     its one actor at this member's address, from a peer of the role that
//     sends it, whose name field is the peer certificate's CN, and from
//     a hub only with a sender address its certificate names (the gateway
//     answers there: a hub cannot have a host answer another hub or dial
//     any member). The rest is
//     dropped and logged (at most a line a second): unknown types (which
//     protoactor's proto serializer would dereference as nil and crash
//     on), system messages (PoisonPill, Stop, Watch), messages to other
//     actors or other addresses.
//   - Bounds: at most maxCallsPerHost requests in flight per host at a
//     hub and per hub at a host, where a request of a hub that asks for
//     it (wire.Request.acks) stays in flight until the hub acknowledges
//     its answer, a refusal too (wire.AnswerAck), or the hub's connection
//     is lost; past maxRefusalsUnacked refusals its requests are dropped:
//     a hub that stops reading cannot make a host queue answers without
//     bound (the hub sends its last acknowledgements again on each new
//     connection); maxSubsPerHub streams; answers of at
//     most maxAnswerBytes; eventsWindow batches unacknowledged; gRPC
//     messages of at most maxRecvBytes. protoactor's endpoint writer
//     queue only has an initial size (a ring that doubles when full): its
//     default preallocates a million slots (16 MB a peer), cfk gives it
//     writerQueue, and the bounds above keep it there.
//
// Invariants:
//   - Nothing in an actor's Receive waits or does heavy work: messages to
//     peers go through the outbox (a send to an address protoactor has no
//     connection for waits on a future inside protoactor); answers of the
//     tree come back as messages; timers are messages carrying the call's
//     id, checked against its deadline (stale ones are dropped); a hub's
//     apply is checked against the policy before its DATA is decoded, and
//     decoded by a goroutine, one at a time, the result a message
//     (gateway_decode.go; REFERENCE §1.4, §12.5).
//   - Every request a hub takes gets exactly one reply, with exactly one
//     outcome per selected host, within Config.Timeout for a host that
//     does not answer at all (within requestBound of the request for one
//     that accepted and then says nothing, before the admin connection's
//     own bound, a lost connection failing it at once), and before its
//     cfkd shuts down or execs an upgrade (Handler.EndRequests).
//   - A member sends nothing to a hub that has no connection to it left
//     (guard.connected; a hub in its own inventory talks to its gateway
//     within the process, on no connection, and counts as connected:
//     Node.connected): a request or a subscription read after that
//     connection closed runs but is not answered, and an answer due then
//     is not sent (the hub failed the call when it lost the connection):
//     a hub that left would be dialled, and protoactor dead-letters for
//     2 s what goes to an address whose dial failed.
//   - A host that comes back is used again: each message to an address
//     protoactor has no connection for dials it again (one attempt,
//     remote.Config.MaxRetryCount = 1).
//   - Nothing polls: an idle member runs gRPC's keepalive ping after
//     Config.Keepalive (--fleet-keepalive, 50 s by default) of silence on
//     each connection it dialled, and nothing else (protoactor remote has
//     no timer of its own). A ping not acknowledged within
//     keepaliveTimeout (10 s) closes the connection: a peer frozen with
//     its connection open (SIGSTOP, a paused VM) is lost, as one whose
//     connection broke, within their sum (REFERENCE §12.3). Its server
//     lets peers ping every 5 s, under any member's Keepalive; a cfkd
//     before Config.Keepalive let them every 45 s only, hence the
//     default (REFERENCE §12.3). Its actor system has a
//     small process registry (actors.ShrinkRegistry): protoactor's default,
//     2.8 MB of small maps, would double what Go's forced GC of an idle
//     cfkd marks every two minutes.
package fleet
