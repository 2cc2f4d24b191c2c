// Package nss bounds the name service lookups that take no context
// (os/user: getpwnam_r and the like, through NSS, LDAP or sssd), which may
// never answer (REFERENCE §1.1, §1.2, §2.4); and, the same way, the file
// system work of a service's launch, whose paths (its env_file, cwd and
// program) may be on a hung NFS or FUSE mount (REFERENCE §2.1): a
// TimeoutError's Lookup then names the path (`env_file /mnt/x/app.env`).
//
// Do runs a lookup in a goroutine of its own and waits for it at most a
// given time; a lookup that does not answer by then is a *TimeoutError.
// The goroutine cannot be killed: it stays until the name service
// answers. So that a name service that is down does not pile goroutines
// up, there is at most one lookup in flight per key (a kind and a name):
// a caller of a key in flight waits for that lookup's answer, or for its
// own time to run out, without starting another. An answer that comes
// after a caller's time ran out is not that caller's: it goes to the
// callers still waiting, if any, and is dropped otherwise (nothing keeps
// it: the next lookup of the key asks again).
package nss
