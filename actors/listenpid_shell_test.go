package actors

import (
	"testing"
)

// REFERENCE §3, §2.6: LISTEN_PID is the pid of the service's command;
// when that command is a shell's script (a string that needs a shell, or
// an explicit `sh -c`), a program the shell forks rather than execs
// gets another pid, and sd_listen_fds() there refuses the sockets: the
// server ran without them, nothing saying why (dash, Debian's /bin/sh,
// forks even `sh -c 'server'`). The start now warns, unless the script
// execs its program.
func TestListenSocketsUnderAShellWarn(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, cmd, sockets string
		warn               string // what the warning says of the command; "" for none
	}{
		{"implicit", "cmd=cd /srv && server --flag", "listen_sockets=web", "its command needs a shell, which runs it (/bin/sh -c)"},
		{"explicit", `cmd=["sh","-c","server --flag"]`, "listen_sockets=web", "its command is a shell's (sh -c)"},
		{"explicit string", `cmd=/bin/bash -ec 'server --flag; echo gone'`, "listen_sockets=web", "its command is a shell's (/bin/bash -c)"},
		{"exec", "cmd=cd /srv && exec server --flag", "listen_sockets=web", ""},
		{"explicit exec", `cmd=sh -c 'exec server --flag'`, "listen_sockets=web", ""},
		{"plain", "cmd=server --flag", "listen_sockets=web", ""},
		{"no listen_sockets", "cmd=cd /srv && server --flag", "tie_stdin_to=web", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			logs := &logCapture{changed: make(chan struct{})}
			r := newRig(t, captureLog(logs))
			r.bindLoopback("web")
			r.ok("service s "+c.cmd, "service s "+c.sockets)
			r.okDone("command start service s", 1)
			r.fake.waitLaunch(t, 1) // the warning comes before the launch
			want := ""
			if c.warn != "" {
				want = "warning: s: listen_sockets: " + c.warn + ": LISTEN_PID is the shell's pid; a program the shell forks rather than execs has its own, and its sd_listen_fds() ignores the sockets: write 'exec PROGRAM' in the command, or give a plain command or an array"
			}
			logs.oneWarning(t, "LISTEN_PID", want)
		})
	}
}
