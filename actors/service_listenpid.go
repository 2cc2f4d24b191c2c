package actors

import (
	"fmt"
	"slices"
	"strings"

	"github.com/cfk/cfk/internal/cmdline"
	"github.com/cfk/cfk/messages"
	"github.com/sirupsen/logrus"
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

// warnShimDropsEnv warns, at the start of a run whose command a shim
// runs (umask, limit_nofile, listen_sockets: a /bin/sh that execs it,
// REFERENCE §2.6), of the variables of env, the shell's environment,
// whose names are not a shell's (letters, digits and '_', not starting
// with a digit): dash, Debian's /bin/sh, and busybox's sh drop them at
// their start, so they never reach the command, as
// `spring.profiles.active` or `my-var` of cfkd's own environment
// (add_env and env_file take only a shell's names); not when cfkd's
// /bin/sh keeps them (bash: Options.ShKeepsOtherNames, learned at
// cfkd's start), where the warning was false; and of lost, those
// underShim could not hand it (an OPTIND dash refuses), whatever the
// shell. The same command without the shim has them: the declaration of
// a umask lost them silently. Only names: a value may be a secret. Said
// once a declaration: not again at each retry of a crash loop, but again for
// another declaration (a line, an apply that changes it), or when what
// it says changes (an env_file's OPTIND), and by a new cfkd after an
// upgrade in place.
func (s *Service) warnShimDropsEnv(env, lost []string) {
	var dropped []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		// none when cfkd's /bin/sh passes them on (bash)
		if !s.opts.ShKeepsOtherNames && !shellName(k) && !slices.Contains(dropped, k) {
			dropped = append(dropped, k)
		}
	}
	var why []string
	if len(dropped) > 0 {
		why = append(why, "the /bin/sh that sets its umask, limit_nofile or LISTEN_PID before it execs the command (dash, busybox) drops a variable whose name is not made of letters, digits and '_'")
	}
	if len(lost) > 0 { // OPTIND alone
		why = append(why, "cfkd leaves out an OPTIND that is not a number from 0 to 2147483647 for the /bin/sh that sets its umask, limit_nofile or LISTEN_PID (dash refuses one)")
	}
	dropped = append(dropped, lost...)
	if len(dropped) == 0 {
		s.shimSaid = shimWarning{} // none: a warning to come is said
		return
	}
	const most = 8
	names := strings.Join(dropped[:min(len(dropped), most)], ", ")
	if len(dropped) > most {
		names += fmt.Sprintf(" and %d more", len(dropped)-most)
	}
	which := "the variables " + names + " of its environment do not"
	if len(dropped) == 1 {
		which = "the variable " + names + " of its environment does not"
	}
	msg := fmt.Sprintf("%s: %s reach its command: %s", s.cfg.Name, which, strings.Join(why, ", and "))
	if said := (shimWarning{cfg: s.cfg, msg: msg}); said != s.shimSaid {
		s.shimSaid = said
		s.log.Log(logrus.WarnLevel, msg)
	}
}

// shimWarning is what warnShimDropsEnv said last, and of which
// declaration.
type shimWarning struct {
	cfg *messages.ServiceConfig
	msg string
}

// shellName says whether k is a name a shell keeps in its environment.
func shellName(k string) bool {
	if k == "" || (k[0] >= '0' && k[0] <= '9') {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c != '_' && (c < '0' || c > '9') && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}
