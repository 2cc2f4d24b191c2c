// Package logconf is cfkd's log configuration: the file that says where
// cfkd's own events and its services' output go, and the Router that puts
// it into effect on cfkd's two logrus loggers (REFERENCE §6).
//
// # The file
//
// Default location $home/log.config, written with DefaultText when missing
// (EnsureFile), re-read on SIGUSR1 (Router.Reload). One "key = value" per
// line; "#" at the start of a line or after a blank starts a comment; blank
// lines are ignored; each key at most once:
//
//	level = info                  # trace debug info warn error
//	format = text                 # text or json
//	cfkd = file:cfkd.log          # cfkd's own events
//	services = file:cfkd.log      # every service's output (absent: same as cfkd)
//	audit = file:audit.log        # the audit records (absent: same as cfkd)
//	service.web1 = file:web1.log  # one service's output (overrides services)
//	service.web1.err = stderr     # one stream of it (overrides service.web1)
//	max_size_mb = 0               # >0: size-based rotation (rotate.go)
//	max_backups = 5               # rotated files kept (0: all)
//	trust_groups = 104            # groups whose directories are trusted (router.open)
//
// A destination is file:PATH (relative to the home directory unless
// absolute), stderr, stdout or none. Any problem (unknown key, bad value,
// bad destination, duplicate key, bad service name) refuses the whole file
// with a *ParseError "NAME:LINE: problem", e.g. `log.config:3: unknown
// level "loud"`.
//
// # Records
//
// Text, one line per record, after the original's `%S %p %L %c - %m`:
//
//	2024-05-06T07:08:09.123+02:00 4242 ERROR service.web1.err - connection refused
//	2024-05-06T07:08:09.125+02:00 4242 INFO cfkd - child exited service=web1 status=1
//
// TIME is RFC 3339 with milliseconds in local time; PID the entry's pid field
// or "-"; LEVEL TRACE DEBUG INFO WARN ERROR FATAL PANIC; CATEGORY the entry's
// category field, else "cfkd" for cfkd's events. cfkd's events end with their
// other fields as " key=value" in key order (values quoted when they hold a
// blank, a quote or an "="); a service line is printed as the service wrote
// it. JSON: one object per line with time, level (lower case), category, pid
// (null when absent), msg, then the other fields in key order.
//
// # The model
//
// cfkd has two loggers: Log for its own events and ServiceLog for every line
// a service writes (category service.NAME.out at info, service.NAME.err at
// error, fields service and pid). NewRouter sets both loggers' Out to
// io.Discard and adds a hook that formats each entry itself and writes it to
// the destination its origin selects: cfkd's events to cfkd, but those of
// category audit (AuditCategory, REFERENCE §5.5) to audit; a service line
// to service.NAME.STREAM, else service.NAME, else services. If the two
// loggers are one, a service line is recognised by its category.
//
// The hot path: Router.ServiceLine writes the record the service logger's
// entry for a line would, byte for byte, without making the entry (no map,
// no copy, no hook list); cfkd hands it to the actors for their services'
// output (actors.Options.Lines). Router.ServiceLines does the same for a
// run of lines of one stream (osproc.Lines: the whole lines one read of
// its pipe got): one level check, one route and one lock for the run,
// and the text before each line ("TIME PID LEVEL CATEGORY - ", the same
// for the whole run) made once. Every record, an entry's or a line's, is
// formatted straight into the queue of its destination, whose flusher
// goroutine (running only while something is queued) writes all that was
// queued meanwhile with one write(2), in order; Sync waits until all is
// written. A line is stamped with the time of the read(2) that got it
// (osproc.LineTime: one clock read per read, not per line); the formatted
// time is reused within its millisecond. Nothing on a record's way takes a
// lock but its destination's, and nothing allocates.
//
// # Backpressure
//
// Nobody who logs ever waits for a destination (REFERENCE §6.2): not an
// actor, not the output poller. Past 256 KiB queued (softMax), a line from
// a service's output pipe is still queued, and holds that pipe
// (osproc.HoldOutput, which both output pollers honour, the epoll one and
// the portable poll(2) one: REFERENCE §11): the poller reads nothing more
// from it until the flusher takes the queue, then resumes it. So the
// service that floods a slow destination waits in its own write(2), as
// under runit or s6, while other services and cfkd's events go on. Any
// other record (cfkd's events, a proxy's lines, which come through an
// actor) is queued up to 4 MiB
// (hardMax) and dropped past it; the drops are counted (Router.Dropped,
// Router.Losses: cfkd's /metrics, REFERENCE §10.2),
// and once there is room again the destination gets a record
// "N lines dropped destination=NAME" (WARN, category cfkd). Memory per
// destination: at most 4 MiB queued, plus one line per pipe held on it,
// plus the batch being written; a held pipe keeps at most one read (64
// KiB, 128 KiB once its pipe grew: REFERENCE §6.2) in the poller. No timer, no retry: a blocked destination costs no
// CPU.
//
// The one caller that may wait is an osproc hot reader (a flooding
// service's pipe read on a thread of its own: osproc.OnHotReader): when
// its lines go to a regular file and no flusher runs, it flushes the
// queue itself, in its call, so that one thread reads, formats and
// writes the flood; a slow file then makes only that service wait.
//
// A Router holds one immutable state at a time: a Config plus every
// destination it needs, open. Apply builds the next state beside the
// current one and swaps it in only when everything opened.
//
// # Invariants
//
//   - A path is opened once per state, whatever number of categories share
//     it; records are written whole, by one flusher at a time, so lines of
//     several categories never interleave. A destination's queue is
//     bounded as said above; logging never waits.
//   - A file is closed once its queue is written, or after 1 s (a FIFO
//     nobody reads): what it did not take is then lost and counted, and
//     said once when its flusher stops (not as a failing destination:
//     the write the close cut fails with os.ErrClosed); the
//     pipes held on it are resumed at once (their lines go to the new
//     destination). Close waits up to 1 s in all for the files and what
//     is queued for stdout and stderr, all at once; Sync waits for all.
//     DrainToClose (a shutdown) is that wait done before Close, so that
//     its caller can say the loss while cfkd's own destination takes
//     records: it gives up on those that did not take their queue
//     (sink.abandon, all at once): a file is closed then, and what they held is
//     dropped and counted, the exact count returned for the caller to
//     say, once (the flusher does not; at most that many for stdout,
//     stderr and a file whose write does not return, whose close, a
//     rotating file's, is not waited for past abandonCut); they take no record more (each
//     counted lost), and Close does not wait for them again. From then
//     on Apply and Reload return ErrClosed: a reload during the drain
//     waits for it (applyMu) and is refused.
//   - A bad or unopenable configuration never replaces a working one: Apply
//     and Reload return the error and the current state stays, untouched.
//   - No record is queued to a closed file: the Router's state is an
//     atomic pointer; Apply stores the new one, then closes the old files,
//     which refuse records from then on, and a refused record is routed
//     again with the new state. stdout and stderr are never closed, so a
//     stalled terminal does not stall a reload. A reload resumes the pipes
//     held on every destination, kept or not, and so does a record put
//     on a destination while a reload replaced its state (deliver): a
//     held service's lines are routed anew.
//   - A file opened afresh by a reload writes nothing before the sink it
//     replaced refuses records and has written its queue (or 1 s has
//     passed): the records of one path stay in the order they came, also
//     those a writer put on the old sink after the new one's first write
//     (it had loaded the state before the swap).
//   - Every successful Apply or Reload opens every file afresh, so an
//     outside tool can move a file away and send SIGUSR1 (logrotate).
//     With max_size_mb > 0, a rotator rotates regular files by size
//     (a FIFO or a device is written as it is: the rotator would open
//     it blocking); a rotation never replaces a file (two in one
//     millisecond get a counter). A rotation that cannot rename the
//     file or create the new one loses nothing: the file is written on
//     past its maximum, that is said once (stderr and cfkd's events),
//     and the rotation tried again once the file grew by max_size_mb
//     more, or after a reload; its success is said too. The rotator of
//     a path is kept across reloads and closed, so it re-opens the path
//     on its next write. A rotator's close waits for its write under way
//     (its lock): for one that does not return (a hung disk) a reload's
//     close and reopen, and Close, wait abandonCut past closeGrace at
//     most (Apply and Close wait for all their files at once: that
//     bound in all, not once per file), and leave it to close when the
//     write returns (a closed one's
//     loss said then by close, "up to N", not again by the flusher), so
//     that neither a reload nor cfkd's end is held by it; the last
//     close (the sink's closer, shutter) is for good, so the held write,
//     coming after it, opens nothing again. A rotator whose file was moved away (the reload
//     not yet come, or draining) rotates nothing when that file is full:
//     it writes on at the path, so no empty file is ever rotated. It
//     is given a batch in pieces of whole records, 256 KiB at most, so
//     that a file ends near its maximum size.
//   - A destination that fails (disk full, I/O error, a file that cannot
//     be opened) never crashes cfkd and is never retried in a loop: the
//     records of a failed write are counted (Router.WriteErrors,
//     Router.Losses), the first
//     failure of a streak is reported to stderr and among cfkd's events
//     (stderr: the Router's report, nowait.Stderr, whose writes are
//     queued and never wait, so that a stderr that does not take them
//     holds neither a flusher nor a reload; the `stderr` destination is
//     a sink as the others)
//     (and the first success after it), at most once per failNoteEvery
//     (a minute; the next one said counts the streaks kept back), and
//     the next record simply tries again. A write that
//     failed part way leaves a piece of a record: the next write starts
//     with "\n", so that no two records share a line.
//   - A destination's counts of lost and dropped records (a tally) go
//     on across the reloads that keep its name: the sink opened afresh
//     takes the tally of the one it replaces (which counts there what
//     it loses while it closes); a name a reload removes takes its
//     tally with it. They are atomic, read at any time (Router.Losses).
//   - Formatting a record never leaves a destination locked: its lock is
//     released by a defer, also when a value's method panics, and an
//     error is written with fmt (a typed nil error is "<nil>").
//   - Files are opened with O_NONBLOCK: a FIFO nobody reads is an
//     unopenable destination (ENXIO) instead of an open that hangs the
//     reload; a FIFO whose reader goes away fails its writes (EPIPE) like
//     any broken destination above, and recovers when a reader comes back.
//   - Logging never returns an error to the caller: logrus would print one
//     per entry.
package logconf
