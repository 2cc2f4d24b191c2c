package osproc

import (
	"os"
	"strings"
	"testing"
)

// A service with user= got HOME, USER and LOGNAME but kept cfkd's SHELL
// (root's /bin/bash for a user whose shell is /bin/sh or nologin):
// systemd's User= and su(1) set it from the passwd entry, /bin/sh when
// its field is empty (REFERENCE §2.4).
func TestPasswdShell(t *testing.T) {
	const passwd = "# local users\n" +
		"root:x:0:0:root:/root:/bin/bash\n" +
		"+nis::::::\n" +
		"daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n" +
		"empty:x:1000:1000::/home/empty:\n" +
		"short:x:1001:1001\n"
	for _, c := range []struct {
		name, shell string
		found       bool
	}{
		{"root", "/bin/bash", true},
		{"daemon", "/usr/sbin/nologin", true},
		{"empty", "/bin/sh", true},
		{"short", "", false},
		{"nis", "", false},
		{"ghost", "", false},
	} {
		if shell, found := passwdShell(strings.NewReader(passwd), c.name); shell != c.shell || found != c.found {
			t.Errorf("%s: %q %v, want %q %v", c.name, shell, found, c.shell, c.found)
		}
	}
}

// lookupShell (getpwnam_r with cgo, /etc/passwd without) finds what
// /etc/passwd says of a local user.
func TestLookupShellOfALocalUser(t *testing.T) {
	f, err := os.Open("/etc/passwd")
	if err != nil {
		t.Skipf("no /etc/passwd: %v", err)
	}
	defer f.Close()
	want, found := passwdShell(f, "root")
	if !found {
		t.Skip("root is not in /etc/passwd")
	}
	if got, ok := lookupShell("root"); !ok || got != want {
		t.Fatalf("lookupShell(root) = %q %v, want %q", got, ok, want)
	}
	if got, ok := lookupShell("no-such-user-cfk"); ok {
		t.Fatalf("lookupShell of an unknown user: %q", got)
	}
}
