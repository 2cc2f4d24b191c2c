// Package sockets is cfk's shared sockets (REFERENCE §3): listening sockets
// bound once by cfkd and handed to many services, as their fd 0
// (tie_stdin_to) or systemd-style as fds 3, 4, ... (listen_sockets), so
// that the kernel spreads connections among workers and a restart drops
// no pending connection.
//
// Model: one Socket actor per declared socket (socket/NAME under the
// controller) owns the listening fd. It answers BindSocket and
// UnbindSocket with a SocketReply to its parent. The controller keeps the
// declarations and hands the bound *os.File values to the service actors
// (messages.SocketsChanged); the fd stays owned, and closed, by the Socket
// actor only.
//
// Binding (bind.go): socket(SOCK_CLOEXEC) (elsewhere than Linux, and with
// -tags cfkportable, socket then FD_CLOEXEC under syscall.ForkLock:
// REFERENCE §11), SO_REUSEADDR for TCP, bind, listen with the declared
// backlog (listen_qsize, else the kernel's SOMAXCONN from
// /proc/sys/net/core/somaxconn, or a kern.ipc sysctl on macOS and
// FreeBSD), then getsockname so that
// port 0 and service names (/etc/services) become the real port. Hosts are
// IPv4 or IPv6 literals (a zone is an interface name or index), or host
// names (the first address, IPv4 first); `unix/` makes a UNIX stream
// socket whose service is an absolute path (or, on Linux, @NAME: the
// abstract namespace, no file, abstract.go): its missing directories are
// made (mkdir.go: 0755, cfkd's user's, through no symlink of another), a
// socket file nobody accepts on is removed first, a live one (a connect succeeds) or a path that is
// not a socket is refused; the file gets the declared owner and group
// (user, group: cfkd's by default) and mode (mode: 0660, UnixMode)
// between the bind and the listen (no connect succeeds before the
// listen, whatever the mode), through no symlink (one put in its place
// since the bind fails the bind), and is removed on close unless it was
// replaced meanwhile.
//
// Nothing in the actor's Receive waits (lifecycle.go is its transition
// table): the bind of a TCP socket of numeric host and port, or of an
// abstract UNIX socket (@NAME, no file), is a few quick syscalls there
// (offActor); any other runs in a goroutine that sends the
// result back (unbound → binding → bound, or unbound again): lookups of
// names (hosts, services, users, groups), each bounded by LookupTimeout,
// and a UNIX socket's file system work (lstat, the connect probe,
// unlink, bind, chown, chmod), which a path on a hung NFS or FUSE mount
// may never end, bounded by PathTimeout (path.go): the bind then fails,
// and the goroutine left closes what it binds if it ever does. An unbind
// cancels a bind under way; a bind meanwhile is refused.
// What the bind's goroutine binds it hands to the actor through one
// atomic hand-over (bindop.go): an unbind that cancels the bind, or the
// actor's end, closes a listener handed already, the goroutine one it
// would hand after, so that none is left open when the actor never
// receives the bindDone (it stopped first). The close of a
// UNIX socket (its file removed) runs off the actor too (bound →
// unbinding → unbound), bounded likewise: an unbind, and shutdown's,
// never waits longer; a file left behind is a stale socket, which the
// next bind removes. A socket adopted from a former cfkd (Adopted, an
// upgrade in place) has its file identified off the actor likewise
// (adopting → bound), unbinds meanwhile waiting. The actor's end (a
// safety net: the controller unbinds every socket at shutdown) answers
// every request still waiting, `cfkd is shutting down` (stop.go), since
// the work it waits for then ends with nobody to receive it. os/user takes no context: a user or group lookup goes through
// internal/nss, which stops waiting after the timeout (the bind fails,
// `user lookup "www" did not answer within 5s`) and keeps one lookup in
// flight per name, whose late answer is dropped.
//
// Invariants:
//   - The listening fd is close-on-exec: a child gets it only when cfkd
//     puts it at fd 0 or in ExtraFiles (dup2 in the child).
//   - Its O_NONBLOCK flag (shared by every process holding the socket) is
//     what the declaration says, set once after the bind. The fd is created
//     blocking and wrapped by os.NewFile, which then keeps it out of Go's
//     poller, so that File.Fd never changes the mode; net.FileListener is
//     never used on it (it would make the socket non-blocking for all).
//   - Errors of a bind read `cannot bind 'NAME': REASON`.
package sockets
