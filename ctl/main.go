package ctl

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"time"

	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/protocol"
)

// Exit statuses of Main.
const (
	ExitOK    = 0 // success
	ExitError = 1 // ERROR from cfkd, cfkd unreachable, or a failed conversation
	ExitUsage = 2 // bad command line; nothing was sent
)

// Version is cfkctl's own version, printed by --version. Set it at build
// time with -ldflags "-X github.com/cfk/cfk/ctl.Version=1.2.3"; when empty
// the module version from the build information is used, and without one
// (a build from a checkout) cfk's release, messages.Version, as `cfkd
// --version` and `cfkctl version` print it.
var Version = ""

// clientVersion returns what --version prints after "cfkctl ".
func clientVersion() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return messages.Version
}

// env is everything a run takes from its surroundings.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	getwd          func() (string, error)
	now            func() time.Time
	loc            *time.Location       // for absolute times in status
	isTerminal     func(io.Writer) bool // whether to use colours on it
}

// Main runs cfkctl with the arguments after the program name and returns
// the exit status (ExitOK, ExitError or ExitUsage).
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return run(args, &env{
		stdin:      stdin,
		stdout:     stdout,
		stderr:     stderr,
		getenv:     os.Getenv,
		getwd:      os.Getwd,
		now:        time.Now,
		loc:        time.Local,
		isTerminal: isTerminal,
	})
}

// run is Main with its surroundings given.
func run(args []string, e *env) int {
	o, pos, err := parseFlags(args, e.getenv)
	if err != nil {
		return report(e, nil, nil, err)
	}
	// --version and --help fail as any command whose output cannot be
	// written (`cfkctl --version > /dev/full`: exit 1, REFERENCE §8.3)
	if o.version {
		_, err := fmt.Fprintf(e.stdout, "cfkctl %s\n", clientVersion())
		return report(e, nil, nil, err)
	}
	if len(pos) == 0 {
		if o.help {
			return report(e, nil, nil, printMainHelp(e.stdout))
		}
		return report(e, o, nil, usageErrorf(nil, "missing command"))
	}
	cmd := lookup(pos[0])
	if cmd == nil {
		return report(e, o, nil, unknownCommand(pos[0]))
	}
	if o.help {
		return report(e, nil, cmd, printCommandHelp(e.stdout, cmd))
	}
	if o.rolling && cmd.name != "restart" && cmd.name != "apply" {
		return report(e, o, cmd, usageErrorf(cmd, "--rolling only applies to restart and apply"))
	}
	// given, whatever its value: an empty one is no --binary at all
	if o.binaryGiven > 0 && cmd.name != "upgrade" {
		return report(e, o, cmd, usageErrorf(cmd, "--binary only applies to upgrade"))
	}
	if o.binaryGiven > 0 && o.binary == "" {
		return report(e, o, cmd, usageErrorf(cmd, "--binary needs the path of a cfkd"))
	}
	if err := checkFleetFlags(o, cmd); err != nil {
		return report(e, o, cmd, err)
	}
	if (o.dryRun || o.prune) && cmd.name != "apply" {
		flag := "--dry-run"
		if !o.dryRun {
			flag = "--prune"
		}
		return report(e, o, cmd, usageErrorf(cmd, "%s only applies to apply", flag))
	}
	if (o.follow || o.linesOn) && cmd.name != "tail" {
		flag := "-f"
		if !o.follow {
			flag = "-n"
		}
		return report(e, o, cmd, usageErrorf(cmd, "%s only applies to tail", flag))
	}
	if o.lines < 0 || o.lines > messages.MaxTailLines {
		return report(e, o, cmd, usageErrorf(cmd, "-n wants a number of lines from 0 to %d", messages.MaxTailLines))
	}
	args = pos[1:]
	if err := cmd.checkArgs(args); err != nil {
		return report(e, o, cmd, err)
	}
	s := newSession(o, e)
	err = cmd.run(s, args)
	s.close()
	code := report(e, o, cmd, err)
	if code != ExitOK && s.hint != "" {
		fmt.Fprintln(e.stderr, s.hint)
	}
	if h := unknownServiceHint(o, e, cmd, args, err); h != "" {
		fmt.Fprintln(e.stderr, h)
	}
	if h := attributeHint(err); h != "" {
		fmt.Fprintln(e.stderr, e.safeErr(h))
	}
	return code
}

// usageError is a bad command line: exit status 2, with a hint.
type usageError struct {
	msg    string
	cmd    *command // the command whose usage to show, or nil
	global bool     // about the global flags: show no command's usage
}

func (u *usageError) Error() string { return u.msg }

func usageErrorf(cmd *command, format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...), cmd: cmd}
}

// userError is a failure whose text is meant for the user as it is
// ("svc1 is not running", "conf:3: unknown command 'x'"): printed without
// the `cfkctl: ` prefix.
type userError struct{ msg string }

func (u *userError) Error() string { return u.msg }

// report prints err the way its kind asks and returns the exit status.
// With --json, a failure is also a {"ok":false,"error":...} on stdout.
func report(e *env, o *options, cmd *command, err error) int {
	if err == nil {
		return ExitOK
	}
	var se *silentError
	if errors.As(err, &se) {
		return ExitError // the command printed why
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(e.stderr, "cfkctl: %s\n", e.safeErr(ue.msg))
		if ue.cmd == nil && cmd != nil && !ue.global {
			ue.cmd = cmd
		}
		if ue.cmd != nil {
			fmt.Fprintf(e.stderr, "usage: cfkctl %s\nRun 'cfkctl help %s' for details.\n", ue.cmd.usage(), ue.cmd.name)
		} else {
			fmt.Fprintln(e.stderr, "Run 'cfkctl --help' for usage.")
		}
		return ExitUsage
	}
	var (
		re *protocol.RemoteError
		us *userError
		ce *connectError
	)
	if o != nil && o.json {
		msg := err.Error()
		if errors.As(err, &ce) && ce.cause() != "" {
			msg += "\n" + ce.cause() // the third line (REFERENCE §8.1)
		}
		writeJSON(e.jsonOut(), jsonFailure{OK: false, Error: msg})
	}
	var fe *fileErrors
	if errors.As(err, &fe) {
		for _, l := range fe.lines {
			fmt.Fprintln(e.stderr, e.safeErr(l))
		}
	} else if errors.As(err, &re) || errors.As(err, &us) || errors.As(err, &ce) {
		fmt.Fprintln(e.stderr, e.errText(err))
		if ce != nil && ce.cause() != "" {
			fmt.Fprintf(e.stderr, "cfkctl: %s\n", e.safeErr(ce.cause()))
		}
	} else {
		fmt.Fprintf(e.stderr, "cfkctl: %s\n", e.safeErr(err.Error()))
	}
	return ExitError
}
