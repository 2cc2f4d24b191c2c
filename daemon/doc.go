// Package daemon is cfkd: it turns flags into a running actor tree with
// its admin consoles, and OS signals into messages.
//
// Model: Run parses the flags, prepares the home directory (0700), takes
// the lock file (flock, holding cfkd's pid; a lock whose holder died is
// released by the kernel and taken over), sets up logging, starts the
// launcher (reaper) and the actor tree, opens the admin listeners, loads
// the config file, then waits. SIGHUP/SIGINT/SIGTERM become `command
// shutdown` sent to the controller; SIGUSR1 reloads the log configuration.
// When the controller publishes ShutdownCompleted (every service down),
// the consoles are drained (replies in flight are written), the socket
// file and the lock are removed and Run returns nil.
//
// Invariants: nothing here polls; the only goroutines are the signal
// relay and the wait for shutdown. Every child process of cfkd comes from
// the launcher, including none at all from this package (detaching
// re-executes cfkd before the launcher exists).
package daemon
