package osproc

import "golang.org/x/sys/unix"

// onNoexecMount says whether p is on a file system mounted noexec (a
// /tmp or /dev/shm so hardened), where its execve fails with EACCES
// whatever its mode.
func onNoexecMount(p string) bool {
	var st unix.Statfs_t
	if unix.Statfs(p, &st) != nil {
		return false // the exec says
	}
	return st.Flags&unix.ST_NOEXEC != 0
}
