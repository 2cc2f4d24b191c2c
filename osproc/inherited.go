package osproc

// CloexecInherited marks every fd from 3 on close-on-exec: the fds a
// process inherited from its parent are not (Go only sets it on the fds it
// opens), and a child it starts would get them all. cfkd -d calls it
// before it starts the detached cfkd (REFERENCE §7.1); a Launcher does at
// its start.
func CloexecInherited() error { return cloexecFrom(3) }
