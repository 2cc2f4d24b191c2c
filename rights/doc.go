// Package rights is who may do what to cfkd (REFERENCE §5): three levels,
// the one every request needs, and the token files that give them to TCP
// clients. cfkd's admin consoles use it on every request; any other
// listener (an HTTP one) uses the same levels and the same token files.
//
// Model:
//
//   - A Level is None < Read < Operate < Admin. A peer holds one level;
//     a request needs one (Required); the peer may run it when its level
//     is at least that (Check). Read is what only looks (status, desc,
//     pids, inspect, list, version, sockets, proxystatus, events, tail,
//     apply dry-run); Operate adds what changes the state of declared
//     things (start, stop, up, down, restart, rollingrestart, signal,
//     proxyup, proxydown); Admin is everything, declarations (which is
//     running a command of your choice as cfkd's user) included.
//   - The table is total: a verb the table does not name needs Admin, so
//     a verb added to package messages is refused to Read and Operate
//     peers until someone decides otherwise (a test walks every verb
//     package messages declares).
//   - A token file holds lines `LEVEL TOKEN [NAME]`. Tokens are kept as
//     their SHA-256 and looked up in constant time (every token is
//     compared, whatever matches); a token is never logged, only its NAME
//     (by default `line N`). ParseTokenFile refuses a file that others
//     than its owner may read or write, or that neither root nor the
//     reading process owns. A Store holds the current set and replaces it
//     whole on a reload, so a bad file keeps the old set.
//
// Invariants: nothing here does I/O but ParseTokenFile, ReadClientToken
// and Store.Reload (which read the file they are given); Required and
// Check are pure and never panic.
package rights
