package osproc

import (
	"io"

	"github.com/cfk/cfk/internal/accountfile"
)

// defaultShell is the shell of a passwd entry whose shell field is empty,
// as login(1), su(1) and systemd take it.
const defaultShell = "/bin/sh"

// passwdShell is the login shell of user name in r, a file of the
// format of /etc/passwd (name:password:uid:gid:gecos:home:shell); found
// is false when r has no entry for name. An empty field is defaultShell.
func passwdShell(r io.Reader, name string) (shell string, found bool) {
	accountfile.Each(r, func(f []string) bool {
		if len(f) != 7 || f[0] != name {
			return true
		}
		shell, found = f[6], true
		return false
	})
	if found && shell == "" {
		shell = defaultShell
	}
	return shell, found
}
