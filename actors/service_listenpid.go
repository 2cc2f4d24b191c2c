package actors

import (
	"github.com/cfk/cfk/internal/cmdline"
)

// warnShellListenPid warns, at the start of a run given listen_sockets
// (REFERENCE §3, §2.6), when its command is a shell's script that never
// execs a program: LISTEN_PID is the pid of the command, the shell's,
// and a program the shell forks has another one, so sd_listen_fds(3)
// there returns 0 and the server runs without its sockets, nothing
// saying why (systemd does the same with ExecStart=/bin/sh -c: it sets
// LISTEN_PID to the pid it forked). argv is the command as exec'd,
// without the LISTEN_PID shim.
func (s *Service) warnShellListenPid(argv []string) {
	shell, script, ok := cmdline.ShellScript(argv)
	if !ok || cmdline.Execs(script) {
		return
	}
	how := "its command is a shell's (" + shell + " -c)"
	if s.cfg.Argv == nil && cmdline.NeedsShell(s.cfg.Cmd) {
		how = "its command needs a shell, which runs it (/bin/sh -c)"
	}
	s.log.Warnf("%s: listen_sockets: %s: LISTEN_PID is the shell's pid; a program the shell forks rather than execs has its own, and its sd_listen_fds() ignores the sockets: write 'exec PROGRAM' in the command, or give a plain command or an array", s.cfg.Name, how)
}
