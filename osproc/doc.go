// Package osproc is cfk's OS boundary for processes: fork/exec with a clean
// fd table, the one reaper of the daemon, signalling process groups, and
// pumping a child's output pipes into lines.
//
// Model: a Launcher owns every child of the daemon process. Launch forks and
// registers the new pid under one mutex; the reaper (SIGCHLD, then
// wait4(-1, WNOHANG) until nothing is left) takes the same mutex to reap a
// pid and mark its Process exited; Signal takes it too. So:
//
//   - an exit is never lost, even when the child dies before Launch returns
//     (the reaper cannot look the pid up before it is registered);
//   - a signal never reaches a pid that was already reaped (and maybe
//     reused): Signal on an exited Process returns ErrDone;
//   - orphans adopted by the daemon (it is made a child subreaper) are
//     reaped and logged at debug level, so no zombie stays.
//
// Invariants: no other code of the process may wait for children
// (exec.Cmd.Wait, os.Process.Wait): wait4(-1) would steal their statuses.
// Every child is started by Launch. A child inherits only fds 0, 1, 2 and
// Spec.ExtraFiles (Go opens everything else close-on-exec, and New marks
// the fds the daemon inherited from its parent close-on-exec). At most one
// Launcher is open per process at a time.
package osproc
