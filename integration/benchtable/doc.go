// Command benchtable is `make bench`: it runs the built cfkd (and
// supervisord, when it is installed) side by side with plain baselines
// measured in the same run, and prints one markdown table per service
// count N, plus one for what does not depend on N.
//
// Usage (from the repository root, after `make build`):
//
//	go run ./integration/benchtable [-cfkd bin/cfkd] [-cfkctl bin/cfkctl]
//	    [-n 200,1000,9000] [-idle 20s] [-loglines 1000000] [-storm 20s]
//	    [-storm-k 20] [-rounds 1000] [-repeat 9,9,5] [-logrounds 9]
//	    [-supervisord auto|off|PATH] [-only log|decl] [-out FILE] [-quick]
//	    [-perf DIR]
//
// (-writer N, -formatter PATH and -copier PATH are internal: the log rows
// run this binary in those modes.)
//
// -quick is a smoke run (-n 20 -idle 2s -loglines 20000 -storm 5s
// -rounds 200 -repeat 1 -logrounds 1; flags given explicitly win). -only
// log measures the log rows alone; -only decl the pipelined declarations
// alone, one table per N (-repeat rounds each). The table goes to stdout (and
// to -out FILE), progress to stderr; the exit status is 1 when a cfkd
// measurement failed (a target missed is not a failure: the verdict
// column says it).
//
// # What is measured
//
// Per N, with N services each running `sleep 1000`. The targets are
// those of N = 1,000 up to N = 1,000 (so at 200 too), those of issue 11's
// N = 9,000 above (in parentheses below):
//
//   - start: the N services are declared (startwait_secs=0.1), then the
//     time from sending `command start all` to every service having a live
//     pid (the `done N` reply, checked by a status that shows every pid
//     alive), and to every service `running` as polled with `command
//     status`. Baseline: this process fork/execs the same N sleeps in a
//     sequential loop (syscall.ForkExec, setsid, stdio on /dev/null) until
//     all pids exist; the "running" baseline adds the 0.1 s startwait.
//     Target ≤ 1.5× (≤ 1.3×).
//   - started: every service started at once, in every round: the start
//     all reply is `done N` with no failure line (a service that cfkd
//     could not start for want of fds waits in backoff, and its line
//     says so), and no status shows one `fatal` (that fails the run).
//   - start and stop are measured in -repeat interleaved rounds (the
//     baseline's start and stop, then cfkd's, one right after the other,
//     so that both meet the same machine); the rows show the medians, and
//     the median of the rounds' ratios, each round's ratio in a note.
//     -repeat is one count, or one per -n; by default 9 rounds up to
//     N = 1,000 (a round takes a second or two there, and with 5 the
//     start of 200 read 1.10× in one run and 1.67× in the next of the
//     same tree, its rounds 0.48× to 2.32×), 5 above (a round of 9,000
//     takes about 20 s).
//   - stop: from sending `command stop all` to every process exited (dead:
//     a zombie or gone: its pidfd, taken before the stop, readable), and
//     to every pid gone (reaped: pidfd_send_signal of 0 fails with ESRCH;
//     /proc/PID/stat and /proc/PID where no pidfd can be taken) with no
//     child of cfkd left (every /proc/CFKD/task/TID/children
//     empty: zombies count as children until reaped); the note adds when
//     status showed all `stopped`. Baseline: SIGTERM to each baseline
//     child, then wait4 them all (so: gone, no child left). Target ≤ 2×
//     (≤ 1.5×), on the "every pid gone" row.
//   - stop floor (no target): in each round, after the baseline, the same
//     loop whose children's stdout and stderr are 2 pipes instead of
//     /dev/null; this process holds the read ends, reads nothing, and
//     closes them once all are reaped, in the time. It is what any
//     supervisor that keeps its services' output must at least do; the row
//     shows cfkd against it, a note the floor against the baseline.
//   - memory: cfkd's VmRSS (/proc/PID/status) and Pss (smaps_rollup) with N
//     running, RSS again after the idle window, open fds (/proc/PID/fd).
//     Target RSS ≤ 30 MiB (≤ 80 MiB).
//   - idle CPU: cfkd's CPU time over the idle window (-idle) with N
//     running and no client traffic. Target ≤ 5 ms per 20 s (scaled to
//     the window). A window longer than 20 s also shows the most of its
//     20 s slices, against 5 ms: the default window, 130 s, holds the Go
//     runtime's collection every two minutes, which cfkd turns off while
//     idle (REFERENCE §7.5).
//   - status round trip: p50 and p99 of -rounds `command status` on one
//     persistent connection. Baseline: a plain in-process UNIX socket
//     server answering cfkd's very status reply bytes through the same
//     codec (protocol.AppendReply). Target p50 ≤ 2 ms (≤ 5 ms).
//   - pipelined declarations: one connection writes N lines `service
//     sNNNN cmd=sleep 1` without reading a reply, then reads the N replies
//     (REFERENCE §1.5: requests may be pipelined), in -repeat interleaved
//     rounds, each on a fresh cfkd (the lines create the services; status
//     must then list N). Reported in lines/s, medians. Baseline: a plain
//     UNIX socket server reading the same lines and answering each OK
//     through the same codec, its replies gathered and written once its
//     read buffer is empty (testkit.ReplyServer writes each reply alone,
//     and this client deadlocks it at N = 9,000: its replies fill the
//     socket, it stops reading, the client's write blocks). Target
//     ≥ 100,000 lines/s at every N.
//
// Once:
//
//   - log throughput: one service runs this binary's -writer mode, which
//     writes -loglines lines of 100 bytes to its stdout as fast as a
//     64 KiB buffered writer goes (or, second row, with one write(2) per
//     line); cfkd's log config routes that service to its own file
//     (service.logw = file:logw.log), whose lines are counted until all
//     arrived (deadline 60 s + 0.1 ms per line). Baseline: the same writer
//     with its stdout on a plain file. Measured in -logrounds interleaved
//     rounds (direct, cfkd, supervisord); the rows show the medians, the
//     ratio is the median of the rounds' ratios. Targets ≥ 0.8× with
//     64 KiB writes, ≥ 1× with one write a line. 9 rounds by default: a
//     round of the 64 KiB row takes a fifth of a second, and with 5 its
//     ratio read 0.90× in one run and 0.71× in the next of the same tree.
//   - log floor (no target): in each round, the same writer through a pipe
//     into this binary's -formatter mode, one thread that reads 128 KiB at
//     a time (its pipe grown to 1 MiB, as cfkd grows a flooding
//     service's), puts a header of cfkd's record length before each line
//     and writes each read's records with one write(2) (floor_log.go):
//     what any supervisor that writes each line as a record must at least
//     do. The row shows cfkd against it, a note the floor against the
//     direct writer.
//   - raw copier (no target, a note): in each round too, the same pipe
//     into this binary's -copier mode, which reads alike and writes the
//     bytes as they are (floor_log.go): the pipe's own cost, before any
//     record is made, against the direct writer.
//   - restart storm: -storm-k services whose command is `echo NAME >>
//     FILE; exit 1` (one line per real start), respawn_on_fail=1,
//     respawn_max_retries=1000, started together and watched for -storm.
//     Reported: starts per service (mean, max) and cfkd's CPU over the
//     window. "backoff holds" when the max is within the bound of a
//     simulation of REFERENCE §2.3's backoff (after failure n, k × 0.3 s, k
//     uniform in 1..2n−1; the highest of 100,000 simulated services + 2),
//     and the CPU target is ≤ 10% of one core.
//
// N = 9,000 needs 18,000 fds in cfkd (2 a running service, plus its
// reserve: daemon/fdlimit.go) and as many processes: a hard limit of open
// files of 20,000 is enough.
//
// supervisord (Debian package supervisor), when found, is driven the same
// way from a generated configuration (autostart=false, startsecs=0 — it
// takes whole seconds only — minfds raised for N) through a minimal
// XML-RPC client over its UNIX socket (startAllProcesses,
// stopAllProcesses, getAllProcessInfo as the status round trip, startProcess;
// its round trips stop after 30 s), at N ≤ 1,000 only: above, a note says
// it was not run. Its storm uses startsecs=1,
// startretries=1000, autorestart=unexpected.
//
// # Profiles
//
// -perf DIR runs `perf record -a -g` (system-wide: following cfkd's
// children with inherited events slowed their forks and exits tenfold)
// during the first round of each phase, N by N: DIR/nN-start.data (start
// all until every service runs), nN-status.data (the round trips),
// nN-idle.data (the idle window), nN-stop.data (stop all until every pid
// is gone), nN-decl.data (the pipelined declarations, first round), each
// with cfkd's pid in nN-PHASE.pid. perf starts disabled and is enabled
// through its control FIFO, so a file holds its phase alone; the figures
// of those rounds carry perf's cost. For memory, the same run keeps
// nN-mem-running.txt and nN-mem-idle.txt (cfkd's /proc status and
// smaps_rollup when the RSS rows are read) and nN-cfkd.stderr: cfkd runs
// with GODEBUG=gctrace=1 then, a line per GC (heap before, after and
// live, goal, stacks, globals). Read a profile with `perf report -i
// DIR/n9000-start.data --pid $(cat DIR/n9000-start.pid) --no-children
// --sort symbol --stdio`; what cfkd's children did between fork and exec
// is under their own pids (`perf script --show-task-events` lists the
// forks). It needs root (or kernel.perf_event_paranoid ≤ 0).
//
// # Approximations
//
// CPU times come from the process-wide CPU clock (clock_gettime on the
// pid's clock id, ns) or, where that is refused, utime+stime of
// /proc/PID/stat in 10 ms ticks. Times to a state are polled (5 ms steps
// for start, 2 ms for stop), so they overestimate by up to one step plus
// one status round trip; a stop not reaped within 60 s shows as "> 60s". The machine is shared: run it on a quiet host and
// compare ratios, not absolute numbers.
//
// # Clean-up
//
// Every process started carries CFK_BENCHTABLE_RUN=DIR in its environment
// (cfkd and supervisord pass it to their services). At the end, on an
// error or on SIGINT/SIGTERM/SIGHUP: cfkd gets `command shutdown`
// (SIGKILL after 20 s), supervisord supervisor.shutdown (SIGKILL after
// 30 s), the baseline's children SIGKILL and wait4, and a final sweep
// SIGKILLs any process still carrying the run's mark. The throwaway
// homes live in one temporary directory, removed unless the run failed.
package main
