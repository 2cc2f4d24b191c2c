// Package notify is cfkd's end of the sd_notify(3) protocol: a datagram
// socket (NOTIFY_SOCKET, a path under cfkd's home) for every service with
// ready=notify run as cfkd's user or root, and a shared one (Linux's
// abstract namespace, "@cfkd-notify-" and 16 random hex digits) for
// those run as other users, who cannot enter cfkd's home (REFERENCE §2.9).
//
// Model: one goroutine reads the socket and hands each datagram, parsed
// into its KEY=VALUE fields, with the sender's pid and process group (the
// kernel's SCM_CREDENTIALS: SO_PASSCRED is set, so a sender cannot lie
// about its pid), to a callback; cfkd's controller routes it to the
// service whose process is that pid or leads that group, so that a
// `systemd-notify --ready` run by the service's shell counts. A sender
// already reaped when its datagram is read has no group any more, and
// its pid may be another process's: the Message says it is Gone (getpgid
// fails, or, where the kernel gives the sender's pidfd with the datagram,
// SO_PASSPIDFD, Linux 6.5, that pidfd's process was reaped by the time
// the group was read), and the controller drops it.
//
// Platforms (REFERENCE §11): the sender's pid comes from SO_PASSCRED,
// Linux's (cred_linux.go), in both Linux builds. Elsewhere Supported is
// false and Listen fails with ErrUnsupported: cfkd then has no notify
// socket, and a service with ready=notify fails to start, saying that
// the system does not support it (cred_other.go).
//
// Invariants:
//   - A datagram is at most MaxDatagram bytes: a longer one is dropped
//     whole, its fields unread; its sender is still delivered, marked
//     Oversize, within the bounds below, so that cfkd can say why. Every fd passed in a datagram (SCM_RIGHTS: systemd-notify's
//     BARRIER=1 waits for its fd to be closed), and the sender's pidfd,
//     is closed at once, once the sender's group is read: closed
//     before, it let systemd-notify exit and be reaped first.
//   - Each sender pid gets at most Burst datagrams at once and Rate a
//     second after that, and all senders together GlobalRate: a flood is
//     read and dropped, it reaches no actor.
//   - The shared socket takes a datagram only from a uid allowed on it
//     (Allow: the uid of a service launched with it), checked before the
//     bounds above count it; any local process can reach it.
//   - Nothing polls: the goroutine blocks in recvmsg; Close ends it.
package notify
