// Package actors is cfk's actor tree: the Controller (root), one Service
// actor per declared service, one Proxy actor per declared proxy and one
// socket actor (package sockets) per declared socket, on protoactor-go.
// A service's actor is spawned with the first message the service must
// get (a start, a stop, an export...; servicePID): a declaration alone
// makes its entry in the controller only, and status, desc and the like
// are the controller's anyway.
//
// Model:
//
//	ActorSystem
//	└── controller         declarations (ServiceConfig, SocketConfig), registry, selectors, reply aggregation
//	    ├── service-NAME-… one per service: runs the lifecycle table (package lifecycle, REFERENCE §2.7)
//	    ├── proxy/NAME     one per proxy: owns the proxy process and its three pipes (REFERENCE §4)
//	    └── socket/NAME    one per socket: owns the listening fd (sockets.Socket)
//
// Service actors' mailboxes run on a pool of long-lived goroutines
// (dispatch.go: up to 4 per CPU, parked when there is nothing to run)
// rather than a new goroutine per run, whose small stack each service's
// handling outgrew; they may do so because a Receive never waits. The
// controller's mailbox runs on a one-worker pool of its own, made and
// closed with the tree, for the same reason. A service's timer is armed
// again with Reset, never two at once (service_timer.go).
//
// The controller owns what services are declared to be; each Service owns
// what its process is doing: a lifecycle.Lifecycle that only
// lifecycle.Next changes. Receive turns each message into an event, and
// carries out the effects Next returns (launch, terminate, kill, timers,
// publish, replies); a proxied service differs only in who launches,
// terminates and kills. A Service sends ServiceUpdated to the
// controller after every change, so status/desc/pids/inspect/list are
// answered by the controller alone (lines.go: the typed lines of package
// messages, written by their Format). Multi-service verbs fan out one command per service
// and are gathered into exactly one Reply ("done N" rule of REFERENCE §1.4);
// the services of a request of several selectors are one set, each once,
// in name order (selectEach), planned as one selector's. A
// rolling restart (`command rollingrestart SEL`) is the same gather made
// sequential: RestartService{UntilRunning} goes to one service at a time,
// answered once it is running again; the first failure stops the roll.
// requires (deps.go, REFERENCE §2.8) is more of the same: a gather is a set
// of steps, one per service, each asked once the steps it waits for are
// released. A start waits for what it requires to run (a step of its own,
// then AwaitRunning; UpService{UntilRunning} for one not selected;
// both answered once running); a
// restart takes along the dependents that run (not those another
// request's stop is to take down, nor those it was sent to and has not
// answered: their update saying stopping may be still on its way), and
// is asked once a stop of its service that another request planned is
// asked (rerun.go: a `restart db` while a `stop db` waits for app starts
// db again once down, never beneath app); a stop waits for the
// dependents to be down (a DownService for those not selected, and the
// ServiceUpdated that says down). The controller never waits for any of it:
// each reply or update moves the steps on.
//
// Apply (apply.go, `command apply`, REFERENCE §1.4): the controller
// compares the configurations it holds with those a config file declares
// (messages.PlanOf) and makes every declaration in one Receive, whole
// configurations replacing the old ones; then, asynchronously, it destroys
// the services the file leaves out (prune) and restarts the changed ones
// that were up (all at once, or rolling), and answers the plan. Its
// restarts are RestartService{Apply} (the lifecycle's `apply restart`
// row: a service down, or stopping for an operator's stop, is left as
// it is), each asked only after a stop, down or destroy of its service
// that another request planned and has not asked yet (as every restart
// is, rerun.go): the stop of db waiting for app to end keeps db. The file
// is compared with what each process up was started with: a change read
// only at the stop or at the process's end (stopwait_secs, respawn_ ...),
// a label, requires, or a run that is the file's already restarts
// nothing, its plan line `(in place)` (messages.WithInPlace). Applies
// are not queued: while one is in its second half, a dry run is
// answered at once with a note naming it, any other apply is refused
// saying how far it got (apply_progress.go); cfkctl tries again. A
// service's ServiceUpdated also carries the declaration its run was
// launched with: one up with a former declaration's run (its restart
// refused) is in every plan and restarted again, until it converges.
// A proxy's proxyUpdated carries the declaration its process was
// launched with in the same way: one whose cmd or add_env changed since
// runs a former declaration, marked in every plan until it runs again,
// and restarted by nobody (REFERENCE §1.3). A bound socket whose
// declaration changed since its bind (sockEntry.boundCfg against cfg) is
// marked so too, `(bound with a former declaration)`, until it is bound
// again, and rebound by nobody (REFERENCE §1.4).
//
// Shared sockets (sockets.go): the controller keeps the table of bound
// sockets (name → *os.File) as an immutable map, replaced on every bind
// and unbind and sent to every service actor (SocketsChanged); a service
// actor gets the current one when it is spawned. A service launches, and
// respawns on its own, with the table it has: the tied socket as fd 0,
// listen_sockets as fds 3, 4, ... with LISTEN_FDS/LISTEN_FDNAMES and a
// /bin/sh shim that sets LISTEN_PID to the service's own pid (a start
// whose command is a shell's script with no exec warns: the program the
// shell forks has another pid, service_listenpid.go). The same shim
// sets umask and limit_nofile, which a fork/exec cannot give one child
// (shimOf, REFERENCE §2.6); the variables the shell sets at its start
// whatever its environment says (IFS, OPTIND, PPID, PWD; busybox's
// SHLVL, bash's LINENO, ...) it gets under other names, which no
// variable of the environment starts with, and sets back under dash,
// busybox and bash alike (underShim); it execs a program whose name
// starts with '-' after a `--` where the shell's exec takes options
// (execDashed); a start under it names, once a
// declaration, the variables of its environment the shell drops
// (warnShimDropsEnv: none when cfkd's /bin/sh keeps them, as bash does,
// which cfkd learns once at its start, off the tree, ShKeepsOtherNames,
// and hands over in Options.ShKeepsOtherNames), and a hard limit above cfkd's that the shell may
// not raise, as its capabilities after its execve say
// (nofile_linux.go), is the start's error (nofileFor), not a launch that
// exits 126 each time. A ready=exec: probe runs through the same shim
// (the run's umask and limit_nofile, not LISTEN_PID: probeShim, made at
// each try, so that a hard limit lowered since leaves it cfkd's), gets no
// socket, none of those three variables, nor an OPTIND its shell
// refuses, shim or none (service_ready.go), and a failed try says the
// last line of its stderr, a pipe of its own read until it exits, which
// the launch makes once it holds its fork slot, within cfkd's fd budget
// (osproc Spec.StderrPipe: service_ready_stderr.go); a try not launched
// for want of cfkd's fds says cfkd's shortage (shortage), as does a
// tcp: or http: try whose socket could not be opened for want of them
// (EMFILE, ENFILE: fdShortTry), and a ready timeout that fires while
// the last try was so is fed as
// lifecycle.EvReadyShort, not EvReadyElapsed (probeShort): no failed
// start; a
// ready=tcp: probe whose connection went to one of
// them (into its backlog: it passes at once) warns, from its goroutine
// (service_ready_held.go). The controller also keeps the names of the
// declared sockets (bound or not; a socket is never forgotten), sent to
// every service actor when one is added (socketsDeclared), so that a
// start tells a socket not declared from one not bound (REFERENCE §1.7).
// Unbind is
// refused while a service using the socket is up, in backoff or being
// started, or up with a run launched with it (declared since without it:
// its process holds the socket); otherwise every service and proxy actor answers the table
// without the socket before the socket actor closes the fd, so that no
// launch ever sees a closed or reused descriptor. A service whose launch
// in flight uses the socket (a respawn the controller could not see
// coming) and a proxy whose process runs (it holds every bound socket)
// answer that they hold it: the unbind is then undone, the table as it
// was, and refused. Shutdown tells the Launcher first (LaunchStopper:
// the starts waiting for a fork slot are not forked, and end stopped,
// each logging its record in its service's category), brings every
// service down, says how many starts were not forked in one line
// (Options.notStarted, counted as the records are logged: every one is
// by then), then closes every socket, then answers and publishes
// ShutdownCompleted.
//
// Proxies (proxy.go with proxy_launch.go and proxy_reports.go,
// proxy_pipes.go, proxies.go, service_proxy.go): a
// proxied service keeps its state machine, but asks its proxy actor
// (messages routed by the controller, which knows the proxy by name) to
// start and stop it. The proxy actor runs the proxy process on demand
// (auto) or on proxyup, with three pipes as fds 3, 4, 5; a writer
// goroutine with a bounded queue writes the command pipe (what a full queue
// cannot take waits in the actor's backlog, proxy_backlog.go, and so do
// the start lines past proxyStartWindow written and not answered, where
// a stop takes them back; a stop line goes ahead of the lines of other
// services held there, the lines of one service and the starts keep
// their order; a proxy whose queue stays full for
// Options.ProxyCommandStall, or a broken pipe, shuts the proxy down),
// two reader goroutines turn status
// and log lines into messages (a log line loses its "\n" alone, a "\r"
// before it being the service's; the lines are package proxywire's, the codec
// cfk-proxy uses too; a start command that does not encode is refused to
// the service, never sent; the log lines are logged in
// proxy_loglines.go). A status or log line that changes nothing (one
// that does not parse, one about a service or a process cfkd did not
// start) is logged once a second at most, the next record counting those
// that were not (or, when none comes, the RecordLimit's Late, from its
// timer's goroutine, which reads nothing the actor writes): a proxy in a
// loop never floods cfkd's own log. Every
// run has a number: a status line of a former run is logged as a stray's,
// and ignored; its log lines are dropped, but those of the run that
// ended last (endedRun: what it wrote before its end, read after it),
// logged with its services and pids. Once a run's process exited and its
// status lines were drained, its status and log readers read what has
// arrived without waiting, then close their ends (pipeRun.closeReads): a
// process it left may hold their write ends for ever, and a proxy in a
// crash loop would pile up cfkd's fds. `started` gives the service its pid,
// `stopped` reaches it as ProcessExited (one whose exit_status is no
// process's end as an abnormal end said as such: ProcessExited.Reported),
// the end of the proxy fails the
// services that were up under it (matched by a start attempt number, so a
// start queued meanwhile is not failed). A status or log pipe that ends
// while the process runs on (no exit proxyMuteWait, 2 s, after its EOF: a
// one-shot timer) shuts the proxy down, and its end fails them saying why
// (proxy_mute.go). A service with no pid after
// startwait and killwait asks the proxy actor whether its proxy gets on
// toward that start (loading, or answering the starts before it:
// proxy_progress.go); the actor answers at once from what it recorded,
// and the service waits again or fails. A service tells its proxy when it
// is down; an auto proxy with no service up is shut down: command pipe
// closed, SIGTERM, gone after Options.ProxyGrace (a timer message with the
// run number; SIGKILL then). The controller refuses at once a start whose
// proxy is down and noauto or has no command; a proxy that fails to exec
// fails the service instead (the start was already answered); the
// restart of an up service whose auto proxy does not run carries that
// proxy's declaration (RestartService.Proxy), whose program the
// service's check looks up with its own, off the actor, before the stop.
// proxydown: the proxy actor stops the services up under it, and the
// controller, right after it sends the proxy actor the proxydown, sends
// its own stop to those it sees run under it, a gather with no
// requester: until they answer, a restart of what they require takes
// none of them along (stopsSent, REFERENCE §2.8); and, as a stop, it
// cancels the starts other requests planned and have not asked of those
// and of the services declared under it (cancelStartsOf, §4.5). It tells
// each service declared under it too (proxyDownCancel), before it sends
// the proxy actor the proxydown, which answers it (at once when the
// proxy does not run): a read or a check that ends after the answer
// reaches the service after the proxyDownCancel. A launch whose
// env_file read or user lookup is under way, begun before, is cancelled
// (launch cancelled, stopped), and so is a restart asked before: its
// check under way ends as one that failed (the process kept), or, past
// it, its process stopping, it is cancelled as a stop does; until the
// service answers
// (proxyDownCancelDone, entry.proxyDowns) a start it asks of that proxy
// was launched before the proxydown, and the controller does not send
// it (proxy cancelled): none runs the proxy again.
// Shutdown: services, then proxies, then sockets.
//
// Admin consoles (console.go, connection.go, its I/O connection_io.go):
// one console actor per listener accepts clients (in a goroutine) and
// runs one connection actor per client. A connection is a pipeline
// (REFERENCE §1.5): a reader goroutine reads request lines while the
// connection's pending work is under its bounds (MaxPendingRequests
// requests read and not yet written back; MaxPendingBytes of unanswered
// request lines plus unwritten reply bytes), and stops reading past them
// (backpressure on that client alone); the actor runs the requests one
// at a time, in order (the next goes to the controller once the previous
// one is answered, and only while the unwritten replies are under the
// bound) and appends each formatted reply to an output buffer; a writer
// goroutine writes whatever replies are ready in one write(2). The
// controller answers the connection actor itself, never a future (a
// future per request grows protoactor's registry). Exactly one reply per
// request, in request order. The reader sends the lines its buffer
// already holds in one message (a turn of the actor per read, not per
// line), and a run of `service` declarations at the head of the queue
// goes to the controller as one declareBatch, made in one Receive and
// answered with one reply per line, each the one the line would have got
// alone (batch.go); each line is still parsed, checked against the
// peer's rights and audited in its turn. The next run of declarations
// may follow a batch to the controller before the batch is answered (one
// such at most): the controller makes it after the batch all the same,
// while the connection works on the lines after.
//
// Events and tails (events.go, tail.go, feed.go, REFERENCE §1.5, §1.6):
// every service transition, proxy transition and socket bind or close is
// published on the actor system's event stream; the event hub, one
// subscriber of it, turns each into a messages.Event line (formatted once,
// only when someone listens) and pushes it to every Feed whose selector
// takes it. cfkd's own warnings and errors reach the hub through a hook on
// its logger. Options.Lines is wrapped by the Tail store: every line a
// service writes is logged, then kept in the service's ring (at most
// TailBytes, twice that while a flood's reads are kept uncut; allocated
// when it first writes; freed when it is destroyed; a run keeps its
// lines only in the ring of its own declaration, Tail.declare's number,
// not in that of a service declared again under its name),
// and pushed to its followers; a proxied service's lines come from the
// proxy actor's log pipe, kept in the ring of the declaration the proxy
// last started under that name (proxiedName.decl, which an upgrade in
// place carries: formerTailGen for a former declaration's). A Feed is a bounded queue: a push, made in the
// publisher's goroutine (an actor, the output poller), appends under the
// feed's lock and never waits; a reader that falls behind by more than its
// Backlog is cut off and told how many lines it lost. `command events` and
// `command tail NAME follow` make a connection a stream: once the
// controller says OK, the connection actor subscribes a Feed and hands it
// to its writer goroutine, which writes it after the replies before it.
// (*Tree).Subscribe and (*Tree).Tail give the same to code outside the
// actors. A drain (a shutdown, an upgrade) ends every stream with its
// last line (the end line of a shutdown, the resume line of an upgrade),
// those started while it drains and those whose request it reads then
// too (connection.endAtDrain): a stream is never refused nor closed
// without a word for a drain. A drained connection reads without waiting
// what its client had sent (drainReader, 64 KiB at most), and its writer
// closes it so that the kernel does not reset it (closeDrained: a UNIX one
// shut both ways, a TCP one read until its client closes, within the
// drain's 2 s). The rights are checked first: a request
// its client may not make is refused `not authorized` in a drain too,
// and a line that is no request, or `fleet events` of no hub, gets its
// error. A connection the console is handed after
// a shutdown's drain began gets `ERROR: cfkd is shutting down` (refuse);
// after an upgrade's, `ERROR: cfkd is being upgraded in place: try
// again` (messages.UpgradeRetry): taken from the backlog, it cannot wait
// there for the next cfkd any more. A shutdown's drain does not close the
// listener under its backlog (the kernel would reset every client there):
// the accept goroutine is stopped, then another goroutine keeps new
// clients out (stopConnects, Linux's: a UNIX listener shut for reading,
// a TCP one's SYNs dropped by a socket filter), takes what the backlog
// holds with accept(2)s that do not wait, refuses each so, and closes
// the listener; the console says it drained once that is done
// too (console_backlog.go; the daemon does the same when it shuts down
// before its console serves).
//
// Rights (auth.go, policy.go, peercred.go; REFERENCE §5): a console has a
// ConsolePolicy. Its accept goroutine decides who gets in, off the
// actors: on a UNIX socket by the peer's credentials (SO_PEERCRED and
// SO_PEERGROUPS, two getsockopt calls; LOCAL_PEERCRED on macOS and
// FreeBSD, REFERENCE §11), on TCP by a token the client
// gives later (or none, with --insecure-tcp); it refuses, with `ERROR:
// not authorized` or `ERROR: too many connections` written at once with
// a write that never waits (refuse.go; a refused TCP client is lingered
// on by a goroutine, at most maxRefusing), and counts the connections (at most MaxConnections, and a quarter
// of the fd limit: the rest is for services; on TCP with tokens, at most
// unauthedPerAddr from one IP address that have not authenticated yet,
// from one uid on loopback: the accept goroutine asks the kernel who owns
// the client's socket, package peeruid, one sock_diag request; a peer
// that is not admin holds at most half of the places, share.go: counted
// at connect where its level is known then, at its auth on TCP with
// tokens, where the places kept for admin are kept too).
// Each connection actor then
// holds a gate: the peer's level, checked with package rights on every
// request before it goes to the controller; `auth TOKEN` is answered by
// the gate (a failure after a delay, by a timer that sends the reply to
// the actor; the third closes the connection); operate and admin
// requests, refusals and auths are logged under the audit category. A
// connection's conn is a guardedConn: its Close gives its place back;
// its reads end at the idle timeout while no request is being served, and
// so do its writes of replies its client takes none of (guarded_deadlines.go:
// a client that never reads stops the reader, which then checks nothing);
// a timer closes it at the auth deadline, whether its reader reads or not;
// its first auth, or its Close, gives back its count as not authenticated.
// One accepted on its console's spare fd while cfkd had no fd left
// (acceptSpare) is served as the others, but for its streams, refused,
// and an idle timeout of 10 s at most; its Close gives the spare back to
// the accept goroutine, which accepts no other meanwhile. (The tests only
// shorten those 10 s with _CFKD_TEST_SPARE_IDLE in cfkd's environment,
// SpareIdleEnv, which only a cfkd built with -tags cfkadoptfault, the
// tests' build, reads: spareidle_testhook.go; any other build has 10 s.)
//
// Snapshots (snapshot.go): a reader outside the tree that asks often and
// must not make an actor wait (cfkd's HTTP server, REFERENCE §10) sends
// SnapshotRequest with a channel of capacity one; the controller copies
// the inspect records of the services (and the proxies and sockets) in its
// Receive and sends them without blocking. No future, no process id.
//
// Fleets (fleet.go, REFERENCE §12): a hub's tree has Options.Fleet, a
// FleetHandler (package fleet's). A connection hands it `command fleet`
// once the peer's rights allow it, never the controller: Request answers
// the connection actor as the controller would, Stream returns the feed
// of the hosts' events, which the connection streams as it does events.
// The controller refuses a `command fleet` that reaches it (a config
// file's line). The hosts' side uses (*Tree).Ask, a request to the
// controller answered through a callback by a short-lived actor, so that
// nothing waits on a future, and (*Tree).Subscribe.
//
// Upgrade in place (upgrade.go, service_upgrade.go, proxy_upgrade.go,
// REFERENCE §13): `command upgrade` goes to Options.Upgrade, cfkd's, which
// drives the tree with messages, never waited for inside an actor:
// ExportState (each proxy, then each service, answers its state as data:
// a service's lifecycle.Lifecycle, a proxy's process, pipes and services;
// with Freeze each then keeps what comes after, the proxies having stopped
// their pipe goroutines without closing the pipes; the controller refuses
// changes, `cfkd is upgrading`), ThawState (the kept messages handled in
// order), and in the new cfkd RestoreState (the declarations made again,
// the processes and pipes adopted from the launcher, each lifecycle
// restored with its timer re-armed at its deadline, a proxied run's once
// the handle on its process, taken off the actor, has come; a `signal`
// asked meanwhile is kept in the service's upgrade state and handled
// then).
//
// Invariants:
//   - Receive never blocks: timers are messages to self carrying a
//     generation number (stale ones are dropped), process exits arrive as
//     ProcessExited from the osproc reaper, restart/destroy replies are
//     deferred until the service is down. The I/O done inside Receive is
//     bounded and local: signals, the pipes of a proxy, the few syscalls
//     of a bind in a socket actor. A launch (which waits for a fork slot,
//     then for the child's exec), a service's or a proxy's, runs on a
//     worker of launchPool, the user/group lookup and the read of an
//     env_file in a goroutine, each answering with a message (forkDone,
//     proxyLaunched, credResolved), as do host and service name lookups,
//     and a restart's check of the launch before its stop (the program
//     looked up, the env_file, the user: launchChecked). The user/group
//     lookups (os/user: no context) are bounded by
//     Options.LookupTimeout through internal/nss, one in flight per user
//     and group: the goroutine answers by then; one not answered is a
//     CauseShortage (REFERENCE §2.1). So is the env_file's read
//     (Options.PathTimeout, one in flight per path and uid, a path
//     known not to answer failing the next starts at once), and whether
//     the user of a run without cwd may enter cfkd's working directory
//     (the same bound; not answered, nothing is warned of), and the launch's cwd and program, which osproc bounds
//     itself (an *nss.TimeoutError from Launch or CheckProgram): a file
//     on a hung mount. The child's own chdir and execve, after the fork,
//     are bounded by osproc where the fork server forks (Linux: the
//     same *nss.TimeoutError, `exec of PATH did not answer`); a fork
//     cfkd makes itself waits for them (REFERENCE §2.1). An auto
//     proxy's launch that fails for cfkd's shortage (fds, a fork) is its
//     services' too: their starts are refused as short (Proxy.refusal,
//     the event `proxy short`), and they wait in backoff (REFERENCE
//     §4.5). The records of starts held back by a shortage
//     (lifecycle.ShortageHeldBack) are logged once a second at most across
//     every service, the next one counting those that were not
//     (Options.shortageLog, a RecordLimit: a mutex held for a compare,
//     never a wait): thousands waiting do not flood the log. A count
//     that no record comes to carry (the shortage ended) is logged on
//     its own by the RecordLimit's one-shot timer (Late), armed only
//     while records are kept back; so is that of the console's refused
//     connections (ConsolePolicy.refused). The records of the runs
//     stopped at their ready timeout for cfkd's shortage
//     (lifecycle.ShortageNotReady, REFERENCE §2.9) are bounded the same
//     way, with a RecordLimit and a count of their own
//     (Options.readyShortLog).
//     An admin connection's socket is read and written by its own two
//     goroutines: its actor only appends replies to a buffer.
//   - A service changes state only through lifecycle.Next (the new cfkd of
//     an upgrade in place takes over the Lifecycle the former one's Next
//     left, as data: no transition, no event); each Publish
//     effect updates the controller, then publishes ServiceStateChanged on
//     the event stream. A proxy changes state only in Proxy.transition,
//     from the table proxyTransitions, and publishes ProxyStateChanged.
//   - A proxied process is signalled only through the pidfd taken by the
//     proxy's status reader (osproc.Launcher.Handle), never by a bare pid;
//     where there are no pidfds (REFERENCE §11) it is not signalled by
//     cfkd at all (osproc.ErrNoHandle, logged at debug level); a process
//     that had ended before its pidfd could be taken (osproc.ErrEnded) is
//     not signalled either, and is no warning (REFERENCE §4.5).
//   - Process restart policy (crash throttling included) is the lifecycle
//     table, not actor supervision.
//     A panic in an actor is logged, published as ActorPanicked, the lost
//     request gets an error reply, and the actor is resumed with its state:
//     the process it owns is never lost.
//   - Nothing polls and nothing ticks: an idle tree uses no CPU, open
//     streams included (their writers wait on their feed's channel). The
//     one exception is bounded: while cfkd has no fd left, a console's
//     accept goroutine waits 1 s at a time for a client, or for the
//     client it serves on its spare fd to close (acceptSpare).
//   - No publisher waits for a reader: a stream's client that does not
//     read costs its Backlog at most, then is cut off.
package actors
