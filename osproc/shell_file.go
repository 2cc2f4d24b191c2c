//go:build !cgo || osusergo

package osproc

import "os"

// lookupShell is the login shell of user name from /etc/passwd (without
// cgo, os/user reads that file too), ok false when it has no entry. An
// empty field is defaultShell.
func lookupShell(name string) (shell string, ok bool) {
	f, err := os.Open("/etc/passwd")
	if err != nil {
		return "", false
	}
	defer f.Close()
	return passwdShell(f, name)
}
