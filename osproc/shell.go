package osproc

import (
	"bufio"
	"io"
	"strings"
)

// defaultShell is the shell of a passwd entry whose shell field is empty,
// as login(1), su(1) and systemd take it.
const defaultShell = "/bin/sh"

// passwdShell is the login shell of user name in r, a file of the
// format of /etc/passwd (name:password:uid:gid:gecos:home:shell); found
// is false when r has no entry for name. An empty field is defaultShell.
func passwdShell(r io.Reader, name string) (shell string, found bool) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' || line[0] == '+' || line[0] == '-' {
			continue // a comment, or NIS compat syntax: not an entry
		}
		f := strings.Split(line, ":")
		if len(f) != 7 || f[0] != name {
			continue
		}
		if f[6] == "" {
			return defaultShell, true
		}
		return f[6], true
	}
	return "", false
}
