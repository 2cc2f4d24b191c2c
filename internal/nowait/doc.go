// Package nowait answers a connection from a goroutine that must not wait
// for it, the accept loop of a listener: one write(2) of a short answer,
// a shutdown, a read of what has come already, none of which blocks (a
// refusal, REFERENCE §5.4, §10.1); and takes what a connection or a pipe
// holds already once its reads were ended by a deadline (Read: a drained
// connection, the pipes of a proxy's run that ended, §1.5, §4.5).
//
// A socket from package net is non-blocking: each function makes one or
// a few system calls on it through its syscall.RawConn and returns when
// one would block, never parking the goroutine. A fresh socket's send
// buffer has room for a line, so Write writes it all there.
//
// Queued is for a descriptor that may block and cannot be made
// non-blocking without changing it for the others that share it (cfkd's
// stderr): a write is queued, and returns at once; one goroutine of its
// own writes the queue, in order; past its bound the newest writes are
// dropped, and their count said once the descriptor takes the writes
// queued before them; Flush waits for the queue, bounded, before an exit.
// Stderr is the one such writer to cfkd's stderr, that every message of
// cfkd's there goes through, so that they all share it.
package nowait
