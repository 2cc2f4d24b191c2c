// Package proxyproc is the proxy side of the proxy pipe protocol
// (REFERENCE §4, compat): what runs inside a proxy process such as
// cfk-proxy. The three line formats (commands in, status and log lines
// out) are package proxywire's, the codec cfkd uses too: this package
// reads commands with proxywire.ParseCommand and writes
// proxywire.EncodeStatus and proxywire.EncodeLog lines.
//
// What a proxy says on the log pipe as "-" (proxywire.SelfName): texts
// kept from the original where it had one ("starting N", "stopping N",
// "Got signal TERM", "parse error in command ...", "couldn't understand
// command ...", "Oops, I don't know about 'N'", "'S' not found in proxy").
//
// Model: a Proxy is one loop goroutine that owns the table of live
// children (by pid, and the latest pid of each service name). It takes, in
// one select: command lines, signals, exits, and the SIGKILL deadline of a
// shutdown. A reader goroutine reads the command pipe as fast as cfkd
// writes it, parses each line and queues it (cmdQueue, queue.go: 16 MiB
// at most, counted as the lines weigh parsed, then it reads no more until the loop took a line); the loop
// handles one queued line at a time, a stop line first when no earlier
// line of its name is still queued, else the oldest line. Children are started by an
// osproc.Launcher (fork+exec with a clean fd table, one reaper, one output
// poller), so a Go proxy execs every service: the memory-sharing proxy is
// the Python one in python/, speaking the same protocol.
//
// Invariants:
//   - An exit is never lost nor reported before its start: the reaper's
//     onExit only queues (pid, status) and wakes the loop; the loop, which
//     called Launch and registered the pid before it reads the queue again,
//     writes `started` then `stopped`, whatever the timing of the exit.
//   - Status lines are written by the loop alone, under a mutex; log lines
//     by one writer goroutine fed by a queue bounded in bytes (children's
//     output comes from the output poller, which must never block: when
//     cfkd does not read the log pipe, or reads it more slowly than a burst
//     of 16 MiB comes, lines are dropped and their number logged).
//   - Every write to the status and log pipes is whole lines of at most
//     proxywire.PipeBuf (PIPE_BUF) bytes, which the kernel never splits; a
//     longer message is sent as several log lines. A child's long line
//     comes from the Launcher already in pieces of one log line each
//     (osproc.Spec.MaxLine = proxywire.LogRoom), not in osproc's 16 KiB
//     pieces, each cut again with a small remainder (REFERENCE §6.4). The original cfkd reads
//     these pipes with Perl's readline on a non-blocking handle, which
//     takes the part of a line already written for a whole line.
//   - The lines of one name are handled exactly in the order cfkd sent
//     them; only lines of different names are reordered, and only a stop
//     line moves: it never waits behind the starts of other services, each
//     a fork+exec, because cfkd counts its stopwait from writing it and
//     SIGKILLs what is still alive then (REFERENCE §4.5). Starts (and
//     lines that do not parse) keep their order among themselves, so cfkd
//     still sees its starts answered in the order it sent them.
//   - A bad command line (invalid JSON, unknown command, bad field) is
//     logged as err:-:... and ignored; nothing on the command pipe is fatal.
//     A start that cannot launch (command not found...) runs a stand-in sh
//     that prints why on the service's stderr and exits 127: cfkd gets a
//     started pid, then its exit 127<<8, as from the original proxy, whose
//     child exited when it could not run the command. Only when even that
//     cannot be launched is it reported as stopped with pid 0, a line that
//     proxywire.ParseStatus (cfkd) refuses: no process id.
//   - stop signals the latest child of that name: its process group, or the
//     pid alone with no_new_session (never the proxy's own group).
//   - A start of a name whose latest child still lives is an error
//     ("'N' is already running (pid P): starting another one") but when
//     a stop line came for that child: a service whose `started` came
//     after its stop is stopped at once, cfkd killing that process
//     itself (REFERENCE §4.5), and may be started again before the
//     proxy reaped it, logged at info ("'N': starting again while its
//     former process (pid P) ends").
//   - EOF on the command pipe (cfkd gone; taken once the lines queued
//     before it were handled), SIGTERM, SIGINT or SIGHUP (the lines still
//     queued then are dropped): every child's group gets SIGTERM, those
//     alive after Config.Grace get SIGKILL, and Run returns once every
//     exit was reported. The caller then closes the Launcher and the Proxy
//     (flushing the log) and exits 0.
//   - The proxy is a child subreaper (osproc.New): the daemons of its
//     services are its own orphans. Once a child it stopped (stop, or the
//     shutdown) has exited, those carrying its CONTROL_FREAK_SERVICE are
//     taken (pidfds) before its `stopped` is written (one scan of the
//     proxy's children for all the exits the loop takes at once: a scan
//     per exit made a stop of N services O(N²)), then get SIGTERM and
//     SIGKILL after Config.Grace in a goroutine Run waits for (orphans.go;
//     cfkd does the same for a direct service's: REFERENCE §7.5). A child
//     that exits unstopped keeps them (a forking service), but for a stop
//     line of its name read after its exit and before that name's next
//     start line: cfkd asked to stop that run (and may have killed it
//     first, a `started` that came after the stop: REFERENCE §4.5), so
//     they are taken and ended at that line (stopExited).
//   - Services get the proxy's environment without its _CFK_* variables
//     (their fds are not passed on), then the service env, then
//     CONTROL_FREAK_ENABLED=1 and CONTROL_FREAK_SERVICE=NAME (ChildEnv).
package proxyproc
