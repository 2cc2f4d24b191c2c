// Package peeruid tells who owns the other end of a TCP connection
// between two loopback addresses: the uid of the client's socket, as the
// kernel recorded it when the client made the socket (REFERENCE §5.4,
// §10.1). A loopback client is on this host, in this network namespace;
// its socket is in the same kernel tables as cfkd's, so the kernel can say
// whose it is, as SO_PEERCRED says it for a UNIX socket. The peer cannot
// forge it: the uid is the one of the process that made the socket.
//
// Model: Of takes an accepted connection, checks that both its ends are
// loopback addresses, and asks the kernel for the socket whose local end
// is the connection's remote one and whose remote end is its local one:
// the client's. On Linux that is one sock_diag request (NETLINK_SOCK_DIAG,
// SOCK_DIAG_BY_FAMILY with the socket's exact address and ports, not a
// dump): one lookup in the kernel's hash of connections, whatever the
// number of sockets on the host, where reading /proc/net/tcp would walk
// and format every socket of the host for each connection (peeruid_linux.go).
// Elsewhere (macOS, FreeBSD) there is no such lookup for an unprivileged
// process: Of answers ErrUnsupported and the callers do what they do for
// a peer they cannot identify (peeruid_other.go).
//
// Invariants: Of does I/O (a netlink socket, one request, one answer):
// it is called in a connection's own goroutine, never in an actor's
// Receive. It never guesses: a socket not found, one that no process
// holds open any more (a client that closed its end leaves a TIME_WAIT
// socket, which the kernel reports as uid 0: it is not root's), an answer
// that is not the socket asked for, a kernel that does not answer within
// a second, are errors, and the callers refuse. The uid is the one of the
// process that made the socket, as SO_PEERCRED's is the one of the
// process that connected: a socket handed to another process keeps it.
package peeruid
