// Package safepath says whether a path leads where its owners meant: a
// path that a user other than root and the process's own user could
// redirect (a directory of theirs on it, one they may write that is not
// sticky, a symlink of theirs, an entry of theirs in a sticky directory)
// leads wherever that user wants, for instance to a file only root may
// read, which a root process would read for them.
//
// Check resolves the path as the kernel would, one component at a time,
// following symlinks itself, and looks at the owner and mode of each
// directory and symlink it goes through. Only root and the trusted uid
// can change a path it finds safe, so what it leads to cannot move
// between the check and an open.
//
// OpenOwned opens a file through such a path only when it is a regular
// file of the given user's: what that user may read and change anyway.
//
// CheckFile is Check for a file whose lines the process obeys (cfkd's -c
// and -l): the file itself must also be root's or the trusted uid's, and
// writable by no one else (a group of root's aside).
//
// Content says who else may change what an opened file holds (its
// owner, others, a group): a file whose lines set a process's
// environment (a service's env_file) is held to it.
//
// A group whose one member is the trusted uid (its user private group,
// under umask 002) is no one else: what it may write is judged as what
// only its owner may (group.go, which reads /etc/passwd and /etc/group).
//
// Invariants: nothing here follows a symlink it has not looked at first;
// a path is safe only when every directory and symlink on it is root's or
// the trusted uid's, and no one else may write a directory on it (a group
// of root's aside, the groups a caller trusts as root:
// CheckCreateTrusting, and a group whose one member is the trusted uid)
// unless the directory is sticky.
package safepath
