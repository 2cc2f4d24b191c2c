// Package osproc is cfk's OS boundary for processes: fork/exec with a clean
// fd table, the one reaper of the daemon, signalling process groups, and
// cutting the output of children into lines.
//
// Model: a Launcher owns every child of the daemon process, with two
// goroutines, whatever the number of children: the reaper and the output
// poller. Launch takes a fork slot (up to 2 forks per core at once, so the
// children's execs run on every core), only then opens the child's pipes,
// forks outside any lock, closes the child's ends and registers the new
// pid under the Launcher's mutex; once StopLaunching was called (cfkd's
// shutdown), a Launch that has no slot yet returns ErrCancelled without
// forking, those waiting for one at once. The reaper (SIGCHLD, then until nothing
// is left: waitid(WNOHANG|WNOWAIT) names an exited child without reaping
// it) takes a registered pid out under that mutex, marks its Process
// exited under the Process's own mutex, which Signal holds across its
// kill, and only then reaps it (wait4 on that pid): no signaller waits
// for a reap, nor a reap for a signaller, while the pid cannot be freed
// before Signal stops using it. Any other exited pid is reaped under the
// Launcher's mutex. (Where waitid cannot peek, outside Linux, it reaps
// with wait4(-1, WNOHANG) under the Launcher's mutex, which Signal then
// holds too.) The search among all children (the sweep: waitid(P_ALL)
// walks every child of every thread) costs a step per child, so on Linux
// (suspects.go, REFERENCE §7.5) a SIGCHLD first has the children Signal
// signalled (the suspects, while at most 64) each asked alone
// (waitid(P_PID), whose cost does not grow with the children), and the
// sweep that must still follow every SIGCHLD (signals coalesce) runs
// no sooner after the last than ten times what that one took (20 ms at
// most): one sooner arms a one-shot timer for it. So:
//
//   - an exit is never lost: a sweep follows every SIGCHLD (at once or
//     by its timer) and reaps until nothing is left; even when the child dies before Launch
//     registered it: while forks are under way, the reaper keeps the exit
//     of a pid it does not know, with the number of forks begun by then;
//     registration takes it when a fork begun by then made that pid, and
//     Launch calls onExit itself. Exits still kept when no fork is under
//     way are adopted orphans (a pid reused since by a later fork is told
//     apart by that number). A fork whose exec did not answer in time
//     (latefork.go) may stay under way for good: while only such forks
//     are, the newest maxLateExits exits are kept once there are twice
//     as many, the others taken for orphans' (earlyexits.go);
//   - a signal never reaches a pid that was already reaped (and maybe
//     reused): Signal on an exited Process returns ErrDone;
//   - orphans adopted by the daemon (it is made a child subreaper where
//     the system has one) are reaped and logged at debug level, so no
//     zombie stays;
//   - a child starts with no signal blocked (on Linux): the fork runs on a
//     thread whose mask is cleared for it (withNoSignalBlocked), whatever
//     mask the daemon's parent gave it, which Go keeps in its threads.
//
// Orphans and termination (orphans.go, terminate.go, proc.go):
// AdoptedOrphans lists the live children of the daemon that Launch did
// not start, each with its CONTROL_FREAK_SERVICE: from the kernel's list
// of the children of the daemon's leader thread, to which Linux 4.0 and
// later hand every orphan (OrphanCandidates; the fork server is forked by
// another thread, so the services it forks are not in it, but those a
// cfkd adopted across an upgrade in place are: the exec made the leader
// their parent), or else of all its
// threads (/proc/self/task/TID/children, Children; a file that takes
// more than one read(2) is read again until a read lists all the one
// before it did, as a child reaped between two reads made the next skip
// another: childrenfile_linux.go), reading
// /proc/PID/stat only for those Launch did not start, or, where
// the kernel has no such list, with one scan of every /proc/PID/stat;
// TargetOrphans takes a Target on each under the reaper's mutex after
// checking it is still such a child, so a pid reaped and reused meanwhile
// is never signalled; it first takes every fork slot, so that a child
// forked and not registered yet is not taken for an orphan, one
// TargetOrphans at a time (forkSlots.holdAll): two that took them side
// by side each held part of them, waiting for the rest for ever.
// Terminate sends SIGTERM to each Target (and to the process group of a
// group leader), waits for their exits up to a grace,
// SIGKILLs what is left and waits again: a bounded wait, never a polling
// loop. A Target is a pidfd, waited for in poll(2) (pidfd.go); without
// pidfds (nopidfd.go) it is the pid of a child, signalled under the
// reaper's mutex only while the reaper has not reaped it, and the reaper
// tells it of the exit. ReadProc, Environ and Pids read /proc for the
// daemon's start-up scan of processes a previous instance left.
//
// Commands without a slash are looked up in the PATH once a second at
// most (pathCache): a storm of starts stats the PATH once per command
// and identity, not per start; a cached path that exec refuses is looked
// up again (and what that look-up read of the file it found, its `#!`
// line or why it cannot run, is the launch's: the cached file is gone).
// The cache holds paths only, never what a file says: a script's head is
// read at each launch (below). The look-up is the service user's, as execvp(3) in the child
// would do it: a file that user may not execute is passed over
// (lookPath, REFERENCE §2.4), and one that no one may (no x bit, on a
// noexec mount) too; when such a file was seen and nothing later is
// found, the look-up fails as execvp(3) does, EACCES naming the file,
// not "not found". As execvp(3), it goes on past ENOENT, ENOTDIR,
// ESTALE, ENODEV, ETIMEDOUT and EACCES only, and stops at any other
// error (a symlink loop, a name too long: execvpGoesOn); it joins each
// entry and the name as they are, never cleaned (a `..` after a symlink
// is the kernel's). What a user other than root may do with a file or
// directory (the program, its interpreter, each directory above them,
// as written and where their symlinks lead, the cwd) is what the
// kernel grants (permits): its POSIX access ACL when it has one, read as posix_acl_permission reads it (acl_linux.go;
// an ACL may deny what the mode bits allow), else the mode bits (also
// when the mode has no group bit: acl_permission_check reads no ACL
// then); one
// that cannot be read, or on a file system that cannot say (EOPNOTSUPP:
// NFSv4), is taken as granting (the exec says). Elsewhere
// no ACL is read (aclsUnread): a program named by its path is then left
// to the exec, and the PATH search takes the first that cfkd may
// execute when the user may execute none.
// Each look-up, and the stat of the working directory Launch and
// CheckProgram do first, waits PathTimeout at most (pathbound.go: a path
// on a hung mount fails the launch with an *nss.TimeoutError naming it,
// one stat in flight per path). The child's own chdir and execve, which
// a mount that hangs between that stat and the exec holds, are waited
// for PathTimeout at most where the fork server forks (a bound tests
// shorten with SetForkTimeout; forkwait_linux.go: the launch fails with an *nss.TimeoutError naming the exec, gives its
// fork slot back, and the fork stays under way until the late reply,
// whose child latefork.go registers and kills); a fork cfkd makes itself
// holds the launch, and its fork slot, until the exec ends. Launch also
// takes the `#!` line of the program it found (under a shim, the
// Spec.Program the shim execs, not the shell), bounded the same way
// (crlfline.go): one that ends with "\r", a script saved with CRLF whose
// interpreter is there, runs, and Process.CRLFLine says so, for the
// caller to warn of (REFERENCE §2.1). The script's head is read once a
// launch: by the look-up's check of its interpreter, or, when the cache
// answered, by crlfLine.
//
// Output: each captured stream of a child (Spec.Stdout, Spec.Stderr) is a
// pipe whose read end Launch hands, as a raw non-blocking fd, to the output
// poller: one goroutine blocked in epoll_wait on all of them (and on an
// eventfd that Close writes to stop it), or in poll(2) on the portable
// path (and on a wake-up pipe). It reads once from each ready pipe
// per round, so one flooding child cannot starve the others, cuts lines as
// Pump does (lineSplitter, the one implementation of both), calls the
// stream's callback from its goroutine, and closes the pipe at EOF. The
// batch form of the callback (Spec.StdoutLines, Lines) gets at once the
// run of whole lines a read got, so that its consumer locks, reads the
// clock and routes once per run rather than per line. A pipe whose read
// fills the read buffer (64 KiB) is asked, once, to grow to 1 MiB
// (F_SETPIPE_SZ on Linux; nothing on the portable path; the kernel may
// refuse; at most 16 grown pipes at a time, another one grows once one
// of them is closed): its child then writes on while the poller formats,
// instead of waiting at every 64 KiB, and such a pipe is read 128 KiB at
// a time (a second buffer of the poller's, made for the first pipe that
// grows): fewer wake-ups a line (REFERENCE §6.2). On Linux a grown pipe
// whose read gives 64 KiB at once (the read that grew it, or a later one)
// is hot (hot_linux.go): the poller
// hands it to a goroutine of its own, on its own thread, which reads it
// and calls its callbacks in a loop (OnHotReader tells them: they may
// then wait, for a write to a file, and only that child waits), until
// EOF, a hold, a freeze or a stop gives the pipe back. The output of a child
// may be read after its exit was reported, and a last
// line without "\n" is emitted at EOF. Memory per idle pipe: no goroutine,
// no os.File, no buffer (the poller has one read buffer for all), only a
// small state and the partial line not ended yet, at most MaxLine bytes
// (nil between lines; a Spec may ask shorter lines, Spec.MaxLine, which
// cuts them in pieces of that size: a proxy's, to fit each in one write
// of PIPE_BUF). A Spec.StderrPipe is no captured stream: its pipe is
// made, checked against the reserve and closed on error as theirs are,
// but its read end is handed back (Process.Stderr) and the caller reads
// it (a ready=exec: probe's try, REFERENCE §2.9); the poller never sees
// it.
//
// The fork server (spawn_linux.go, REFERENCE §7.6): on Linux the fork
// and exec of Launch happen in a helper process (the same binary,
// re-executed by New) whose fd table is almost empty, with CLONE_PARENT,
// so the child is the Launcher's own; the copy and close of a large fd
// table then cost nothing per start. Launch's protocol is unchanged
// (pipes, slots, registration, early exits); only the ForkExec call goes
// over a socket, each of its waits bounded (forkwait_linux.go). A helper
// that is gone or a request that does not fit is forked in the daemon, as
// on the portable path (spawn_portable.go). The
// helper inherits the daemon's working directory and neither process ever
// changes its own: a Spec without Dir runs there either way.
//
// Threads (threads.go, REFERENCE §7.6): New, and the helper at its
// start, make the threads the process will wait in system calls with, and
// leave them idle for the runtime to take, so that a user whose processes
// ran out (RLIMIT_NPROC, which counts threads) fails a fork with EAGAIN,
// a shortage that is retried, rather than abort the process when the
// runtime wants one more thread.
//
// Fds (fds.go, REFERENCE §7.6): a running child whose two streams are
// captured holds 2 fds in the daemon (the read ends, in the poller; a
// Spec.StderrPipe's read end is the caller's, counted the same); a
// fork under way 4 more for a moment (the write ends, closed right after
// the fork, and the status pipe of syscall.ForkExec); a start waiting for
// a fork slot none, so a mass start of N holds about 2N. A fork that runs
// short of fds while others are under way gives its slot back, waits for
// one of them to end and tries again; alone, it fails with an error that
// wraps EMFILE (errors.Is), as every launch error wraps its errno. Every
// fd a child gets is placed low enough for ForkExec's own shuffling in
// the child, which dup3s to numbers above the child's highest fd and
// fails with EBADF past RLIMIT_NOFILE (placeBelow). No launch takes one of
// the last FdReserve fds of the table: they stay for the daemon itself.
//
// Backpressure (REFERENCE §6.2): a callback never waits for its
// destination (but a hot reader's, which may); one that cannot take more
// calls HoldOutput, and the poller (or the hot reader)
// stops reading that pipe after the line (in the batch form, after the
// lines of the run it took; it stays in epoll for its hang-up only; the
// rest of the read, at most 64 KiB, 128 KiB for a grown pipe, is kept)
// until the destination calls the resume function it got: that child's
// writes block once its pipe is full, as under runit or s6, while every
// other pipe is read on. A held pipe costs no CPU (no timer, no retry).
// A held pipe whose writers are all gone (its run ended) is kept until
// its resume, but one per Spec.Tag and stream: when another run's held
// pipe ends, the one kept before is read to its end with HoldOutput
// refused (its destination keeps or drops, counted, what it gets) and
// closed, so a child crashing in a loop on a stuck destination does not
// pile up pipe fds (poller.heldEnded). Lines of one read share its time: the
// poller reads the clock once per read(2), and a callback stamps its line
// with LineTime.
//
// Coalescing: after a round that read less than 16 KiB, the poller sleeps
// 200 µs before the next one. The kernel wakes the reader of a pipe only
// for a write that finds it empty, so a service writing one line per
// write(2) then goes on without waking cfkd (and being woken) for each
// line, and cfkd reads many lines at once: it keeps up with such a writer
// (faster than the same writer to a file) instead of spending two wake-ups
// a line. A line waits 200 µs at most; nothing happens while nothing is
// written (the sleep follows a read, never loops).
//
// Processes that are not children (a service a proxy forked): Handle takes
// a pidfd on the pid the proxy reported and checks, once the pidfd pins the
// process, that its parent is the proxy; Signal then goes through that
// pidfd and reaches that process or nobody (ErrDone once it is reaped,
// whoever has the pid since). A process that had exited before the pidfd
// was taken is ErrEnded, not a process that is not the proxy's child:
// the pid is gone, or the pidfd it gave shows an exit. Without pidfds
// Handle fails (ErrNoHandle):
// such a process is never signalled. Signal refuses a Process that is
// neither a child nor a handle: cfkd never signals a bare pid.
//
// Platforms (REFERENCE §11): the mechanisms above are Linux's by default
// (poller_epoll.go, pipe_linux.go: pipe2, close_range; pidfd.go). The
// portable path replaces them on macOS and FreeBSD, and on Linux built
// with -tags cfkportable, so that Linux CI runs the code those systems
// run: poller_poll.go (poll(2), the same holds, resumes and coalescing;
// poll(2) refuses a set larger than the soft fd limit, on Linux at least,
// which an operator may lower under the pipes: the poller then keeps
// every pipe and reads them a part at a time, as many as one poll(2)
// takes, each round looking at all of them without waiting and then
// waiting on the wake-up and one part in turn 1 s at most, or, when
// poll(2) takes no pipe, with a read of each and a sleep of 1 s; logged
// once when it begins and once when poll(2) takes the whole set again,
// the waits with no timeout from then on: REFERENCE §7.6),
// pipe_portable.go (pipe then FD_CLOEXEC under syscall.ForkLock, the open
// fds from /dev/fd, or from scanFds where /dev/fd may not list them all),
// nopidfd.go. By system only: the subreaper (os_linux.go prctl,
// os_freebsd.go procctl, os_darwin.go none) and the /proc readers
// (proc_linux.go; proc_other.go finds nothing).
//
// Identity (cred.go, shell*.go, REFERENCE §2.4): Credential and UserEnv
// look users and groups up through os/user (the name service with cgo,
// /etc/passwd and /etc/group without); the login shell, which os/user
// does not give, through getpwnam_r with cgo (shell_cgo.go, the same
// name service) and /etc/passwd without (shell_file.go). They may wait
// (LDAP, sssd): callers run them off their actors.
//
// Upgrade in place (upgrade.go, poller_freeze.go, REFERENCE §13): Freeze
// stops the reaper's wait4 (an exit stays a zombie, still this process's
// child) and parks the poller goroutine between two reads, and returns
// every output pipe (its fd, whose it is by Spec.Tag and Spec.Owner, the
// bytes read and not yet emitted as a line); Thaw undoes it. The cfkd that the exec
// starts makes its Launcher with NewForAdoption (no wait4 at all until
// Thaw), registers each child with Adopt and each pipe with AdoptOutput
// (its carry is fed first), then thaws: the first wait4 reaps what died
// meanwhile and hands it to the adopted onExit.
//
// Invariants: no other code of the process may wait for children
// (exec.Cmd.Wait, os.Process.Wait): wait4(-1) would steal their statuses.
// Every child is started by Launch (but the fork server, which New starts
// and registers, and Close kills and reaps). A start holds its pipes only inside a
// fork slot, and every fd Launch opens is closed on every error path,
// once: the read ends belong to the poller once handed to it (which
// closes them at EOF or on a failed registration), the rest to Launch. A
// child inherits only fds 0, 1, 2 and Spec.ExtraFiles (Go opens
// everything else close-on-exec, so does osproc with its pipes, epoll
// instance and eventfds (or wake-up pipe), and New marks the fds the
// daemon inherited from its parent close-on-exec). The output callbacks
// must not block: the output of every child waits for them. At most one
// Launcher is open per process at a time.
package osproc
