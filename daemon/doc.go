// Package daemon is cfkd: it turns flags into a running actor tree with
// its admin consoles, and OS signals into messages.
//
// Model: Run parses the flags, prepares the home directory (0700; one
// that another user could change under cfkd is refused: home.go, and so
// are a -c or -l file, a token file and a fleet's file (CA, certificate,
// key, inventory) that one could: ownfile.go), takes
// the lock file (flock, holding cfkd's pid; a lock whose holder died is
// released by the kernel and taken over), sets up logging, kills what a
// previous cfkd of the same home left running (leftovers.go), learns
// whether /bin/sh passes on the variables whose names are not a shell's
// (actors.ShKeepsOtherNames, REFERENCE §2.6; the new cfkd of an upgrade
// takes the former's answer instead, shkeeps.go), starts the launcher
// (reaper), logs its limit of open files and how many services
// that holds (fdlimit.go, REFERENCE §7.6), starts the actor tree, opens
// the admin listeners (and, with --http, the HTTP listener of package web:
// http.go, REFERENCE §10), loads the config file (config.go: FILE:LINE:
// reason at the first bad line, an unknown attribute's with the one
// meant, messages.AttributeMeant; `command shutdown` one; the services a line's verb failed for
// while it acted on others are warnings, on stderr or, detached, by the
// parent: detach.go), then waits. SIGHUP/SIGINT/SIGTERM/SIGQUIT
// become `command shutdown` sent to the controller, whose refusal (an
// upgrade under way) is logged by the actor it answers to
// (shutdownanswer.go) (a HUP or INT cfkd was
// started with ignored, as by nohup, stays ignored: nohup.go); SIGUSR1
// reloads the log configuration and the token files, checked again, on
// a goroutine of its own, which says a refusal on stderr through
// nowait.Stderr, as cfkd's every message there: queued, so that a stderr
// that does not take it holds that goroutine, and every later SIGUSR1,
// not at all (REFERENCE §7.4); an exit or an exec (execinplace.go) waits
// nowait.StderrBound at most for that queue; SIGPIPE is caught and
// dropped, so that a stdout or stderr whose reader went away fails its
// writes instead of ending cfkd (sigpipe.go).
//
// Who gets in (security.go, REFERENCE §5): before anything else, the
// flags become the console's actors.ConsolePolicy: on the UNIX socket,
// root and cfkd's own uid get admin and the members of --admin-group
// their level (the socket is then made 0660, group GROUP, and a home that
// holds it 0710); a TCP console needs --admin-token FILE (read and checked
// here: a bad file stops cfkd) or --insecure-tcp; --command-only caps
// everyone at operate; --max-connections and --idle-timeout bound the
// connections. The checks themselves run in package actors, on every
// request.
// A fleet (fleet.go, REFERENCE §12): with --fleet-listen, the member
// (package fleet) is made before the home (as the token files are read),
// so that a bad certificate, inventory or --fleet-allow stops cfkd at
// start having written nothing; a hub's handler goes to
// the tree's options; the member serves once the config file is loaded,
// before the console accepts, and stops when cfkd does. The new cfkd of an
// upgrade in place that cannot make its member or listen runs on without
// it, its services kept: fleetgate.go answers every `command fleet` why
// (REFERENCE §13.4). A member that shuts down writes the hubs it told so
// in HOME/fleet.hubs; the next start, once its member serves, reads it
// (outside any actor), removes it, and tells those hubs it is back
// (fleethubs.go; only a regular file of cfkd's user's is opened,
// safepath.OpenOwned, no symlink followed; a file it did not write as it
// writes it is logged once and ignored, never an error; a directory there
// is never removed, said at each start), as the new cfkd of an upgrade
// tells the hubs its environment names.
// When the controller publishes ShutdownCompleted (every service down),
// a hub answers its fleet requests in flight (fleetGate.endRequests, as
// an upgrade does before its exec), the HTTP server is closed (its streams end), the consoles are drained (replies in flight are written), the orphans
// cfkd adopted are swept, the socket file and the lock are removed and
// Run returns nil.
//
// Processes nobody supervises any more (orphans.go, leftovers.go):
//
//   - cfkd is a child subreaper, so a service's grandchildren that
//     daemonise are adopted by it. The actors get the launcher wrapped in
//     an orphanKiller: once the process of a service that cfkd stopped
//     (SIGTERM/SIGKILL) has exited, the adopted orphans whose environment
//     says CONTROL_FREAK_SERVICE=NAME are terminated (as systemd's
//     KillMode=control-group would), and, round after round, the
//     daemons below them and those they fork as they end, before the
//     service's next launch (orphans_late.go); a service that exits on its own keeps
//     its daemons until it is stopped or destroyed (EndLeftovers). What a
//     proxy that died forked for a start it never reported is ended once
//     the proxy's exit is reaped (EndLostStart: the orphans of the service
//     started between the start line and the proxy's end). At the end of shutdown every adopted orphan still alive
//     is terminated (the services of a proxy killed with SIGKILL among
//     them). Each is logged: `killing orphan pid N (COMM) left by service
//     NAME`.
//
//   - At start-up, before anything is served, one scan of /proc finds the
//     processes of a cfkd of this home that died (CFKD_HOME=home, as given
//     or by its real path, which services get, and CONTROL_FREAK_ENABLED=1,
//     or a proxy's _CFK_COMMAND_FD), whether or not it left its lock: they
//     are terminated and logged, `killed N
//     processes left by a previous cfkd (pid P) on this home`. Those of a
//     cfkd of this home that is alive (its home moved or removed while it
//     ran, this cfkd started on the path) are left alone, logged: a
//     process is one's when it or an ancestor holds the flock of a file
//     named lock holding its pid and was started on this home
//     (leftovers_live.go).
//
//   - Platforms (REFERENCE §11): the start-up scan needs /proc and pidfds
//     (its processes are not cfkd's children): without them (macOS,
//     FreeBSD, -tags cfkportable) it is not made, and cfkd logs so. The
//     orphan scans need /proc and a subreaper: on Linux they run in both
//     builds (without pidfds the orphans, cfkd's children, are signalled
//     through the reaper); macOS adopts no orphan and FreeBSD lists none.
//     ready=notify needs SO_PASSCRED: elsewhere cfkd opens no notify
//     socket (package notify).
//
//   - Termination is SIGTERM (to the process group when the process leads
//     one), SIGKILL after orphanGrace, through pidfds (osproc.Terminate): a
//     reused pid is never signalled, and the waits are poll(2) on the
//     pidfds with a deadline, at start-up, at the end of shutdown, or in a
//     goroutine of their own after a stop. A process that cleared its
//     environment, or whose environment cfkd cannot read, is not
//     attributed to a service and escapes the two scans by environment.
//
// Upgrade in place (upgrade.go, adopt.go, check.go, REFERENCE §13):
// `command upgrade [PATH]` and SIGUSR2 run the upgrader in a goroutine of
// its own: it writes the state, runs `PATH --check-upgrade FILE` through
// the launcher (never exec.Cmd), waits, nothing frozen, for the launches
// begun meanwhile and for the orphan scans and terminations under way
// (orphanKiller.Flush: the exec would end a termination's wait, and an
// orphan that ignored its SIGTERM would never get its SIGKILL; 5 s at
// most, then it goes on), freezes the tree and the launcher, waits for
// those again (what is left: no exit is reaped any more), clears
// close-on-exec on exactly the fds the state names, answers the asker,
// drains the console without closing its listener and execs PATH, the
// final state both in the home's file and in a copy no path reaches (a
// sealed memfd on Linux, else an unlinked file) on an fd that crosses,
// named with its SHA-256 (statecopy.go): the new cfkd adopts that copy,
// what the former cfkd wrote, not what the file says by then; any
// failure thaws and answers an ERROR. One asked before cfkd serves waits
// for it, and fails at once when -c FILE fails (upgrade_notserving.go),
// so that the shutdown that follows is not refused for it. A cfkd started with
// CFKD_UPGRADE_STATE set adopts instead of starting afresh: it takes the
// lock, the listeners and the notify socket from their fds, kills no
// leftovers, loads no -c file, does not detach, restores the tree and only
// then lets its launcher reap. One that fails before it has taken the
// services over execs the former binary back with the same fds and state
// (rollback.go: the old cfkd names its binary by an fd that crosses the
// exec; one rollback at most); one that fails once its tree has taken
// them over, before its console serves (a restore refused, the console
// not started), upgrades to the former binary: the state exported from
// the tree, as an upgrade's (rollback_taken.go); a shutdown signal that
// comes meanwhile is refused, as during an upgrade, and one taken before
// the rollback began goes on instead of it. What the last upgrade
// did (upgraded, rolled back, its exec failed) and the count of execs in
// place, carried across each exec, answer `command upgraded`
// (upgrade_outcome.go). A log destination or a fleet listener lost
// between the check and the exec does not stop it: it logs with the
// defaults, or runs without its fleet, and says so (REFERENCE §13.4).
//
// Memory (trim.go): after a burst (a verb sent to 64 services or more was
// answered) and 5 s after the last start or stop of a process, the last
// HTTP read of 256 services or more (a scrape of /metrics), or the last
// admin reply of 64 KiB or more (a status of about 1,500 services), cfkd
// returns its free memory to the OS (one GC and a scavenge), so its RSS
// comes back after churn instead of minutes later. From that trim to the
// next activity or collection (gcidle.go), GOGC is off and a memory limit
// at what GOGC would allow takes its place: the runtime's collection every
// two minutes does not wake an idle cfkd, and memory stays bounded.
// GOGC itself follows the live heap (gcpolicy.go): 100 under 8 MiB, 50
// above, set again by a cleanup after each collection (never a timer).
//
// Invariants: nothing here polls; the only goroutines are the signal
// relay, the wait for shutdown, the scans of stopped services' exits
// (one per batch of exits, off the reaper; while exits keep coming, the
// next scan waits eight times as long as the last one took, 50 ms at
// most: orphans.go), and the bounded waits of
// orphans killed after a stop; the trimmer is one timer, re-armed by
// activity and silent once cfkd is idle. The /proc scans run once per
// event (start-up, a batch of exits of stopped services, shutdown),
// never in a loop. Every child process of cfkd comes from
// the launcher, including none at all from this package, but two made
// before the launcher exists, so that no reaper takes their exit:
// detaching re-executes cfkd, and the start's one probe of /bin/sh
// (actors.ShKeepsOtherNames) runs it once and waits for it, never in
// the new cfkd of an upgrade, whose inherited fds it would hold.
package daemon
