package ctl

import "strings"

// command is one cfkctl command: its help and what it runs.
type command struct {
	name string
	args string // synopsis of the arguments: "REF...", "[REF...]", "NAME"
	// opts is the synopsis of the flags that apply to this command
	// alone ("[-f] [-n N]"), in its usage line and its help's; the main
	// help, which lists the flags apart, leaves them out
	opts    string
	group   string // heading in the main help
	short   string // one line for the main help
	long    string // the rest of `cfkctl help NAME`
	example string // lines of examples, or ""
	min     int    // fewest arguments
	max     int    // most arguments; -1: no limit
	run     func(s *session, args []string) error
}

// Groups of the main help, in order.
const (
	groupServices = "Service commands (REF: NAME, @TAG or all):"
	groupProxies  = "Proxy commands:"
	groupSockets  = "Shared socket commands:"
	groupOther    = "Other commands:"
)

const many = -1

// commands is the table of every command, in the order of the main help.
// It is filled in init because `help` reads it.
var commands []*command

func init() {
	commands = []*command{
		{name: "status", args: "[REF...]", group: groupServices, min: 0, max: many, run: runStatus,
			short: "show the state of services (all by default)",
			long: `Prints one line per service: its state, its name and, when cfkd knows it,
how long ago it started (running, starting) or stopped (otherwise), with the
local time. A failed service also shows why, in brackets; one in backoff or
fatal, why its last start failed, or how its last run ended ([crashed: exit
3]). On a terminal the state is coloured (set NO_COLOR to turn that off).

States: running (all is well), starting (should soon be running), stopping
(should soon be stopped), stopped (never started, downed or completed), fail
(terminated abnormally), fatal (could not be started; given up), backoff
(could not start, or crashed again: will try again after a delay).

With --json: an array of {name, state, pid, start_time, stop_time, proxy,
fail_reason, running_cmd, retries, crashes, next_start, restarts,
last_exit, last_exit_time, notify_status, last_error, running_former,
done, waiting_for}; waiting_for is the services a start or a stop of it
waits for (see inspect); start_time and stop_time are Unix seconds, next_start (set in
backoff) and last_exit_time RFC 3339, absent values null. It is asked as
"command inspect SELECTOR" (see inspect); from a cfkd that does not know
inspect, as "command status SELECTOR", what inspect adds null.`,
			example: "cfkctl status\ncfkctl status web1 @prod\ncfkctl --json status"},
		verb("start", "start services that are down",
			`Starts each referenced service. A service that is already up, or has no
command, is an error for that service. The references go in one request,
planned together: one that two references select (web1 @web) is started
once, and the order of the references does not matter (start app db and
start db app both start db, then app, when app requires db).

A service declared with requires=a,b is started once a and b are running:
those that are down are started first (and what they require, before them).
If one of them cannot come up, the service is not started, and the error
says which and why:
  Service 'X' cannot start: requires 'a': Service 'a' did not come back up: fatal (Not ready after 1s)
This holds for up, restart and restart --rolling too.`),
		verb("stop", "stop services that are up",
			`Stops each referenced service: SIGTERM to its process group, then SIGKILL
after stopwait_secs. cfkd answers once it is signalled: it is stopping
until its process has exited (cfkctl status shows it), and an unbind of
its socket is refused until then. A service that is already down is an error for that
service, unless its stop brought down a service that requires it. The
references go in one request: one that two references select (web1 @web)
is stopped once, and stop db app, where app requires db, stops app, then
db, and succeeds as stop app db does.

The services that require it (requires=) are brought down first, and it is
stopped once they have exited; this holds for down, destroy and shutdown
too. Services with no relation are stopped at the same time.`),
		verb("up", "make sure services are up",
			`Starts the referenced services that are down; those already up are left as
they are. What they require is started first (see start).`),
		verb("down", "make sure services are down",
			`Stops the referenced services that are up; those already down are left as
they are. What requires them is brought down first (see stop).`),
		verb("restart", "stop services that are up, then start them again (--rolling: one at a time)",
			`Stops the referenced services that are up and starts them again once they
are down; starts those that are down.

A service that is up is not stopped when its declaration cannot start (no
cmd, a socket not bound, a program not found, an env_file that cannot be
read, a user or group unknown): its restart fails with the reason, as
"Service 'web1' cannot start: exec app: executable file not found in PATH",
and its process runs on.

With --rolling, the services are restarted one at a time, in name order: the
next one is stopped only once the previous one is running again (it has
lived startwait_secs), so that workers sharing a socket never all stop at
once. The first service that does not come back up stops the rolling
restart; the services after it are left as they are (reported as not
restarted), and cfkctl exits 1. Sent as "command rollingrestart SELECTOR...",
the services of every reference in one roll.

The services that require a restarted one (requires=) and run are
restarted after it, once it runs again; what a restarted service requires
is started first when it is down (see start).`).withOpts("[--rolling]"),
		verb("destroy", "bring services down and forget them",
			`Brings the referenced services down, then removes them: they no longer
appear in list or status.`),
		{name: "signal", args: "SIG REF...", group: groupServices, min: 2, max: many, run: runSignal,
			short: "send a signal to the processes of services (e.g. HUP to reload)",
			long: `Sends SIG (TERM INT QUIT HUP USR1 USR2 WINCH KILL CONT STOP ALRM, with or
without SIG) to the process group of each referenced service that is up (to
the pid alone with no_new_session, or under a proxy). A service that is down
is an error for that service. Sends "command signal SIG SELECTOR..." with
every reference, each service once.`,
			example: "cfkctl signal HUP @web"},
		{name: "pid", args: "NAME", group: groupServices, min: 1, max: 1, run: runPid,
			short: "print the pid of a running service",
			long: `Prints the pid of the service NAME alone, for use in scripts. Fails with
"NAME is not running" when the service has no process.`,
			example: "kill -9 $(cfkctl pid svc1)"},
		{name: "pids", args: "[REF...]", group: groupServices, min: 0, max: many, run: runPids,
			short: "print NAME: PID for services (all by default)",
			long: `Prints one line "NAME: PID" per service, or "NAME: PROXYPID, PID" for a
service run by a proxy. With --json: an object from names to pids (null when
the service has no process).`,
			example: "cfkctl pids @web"},
		{name: "desc", args: "[REF...]", group: groupServices, min: 0, max: many, run: runDesc,
			short: "describe services: tags, description, proxy, command, requires",
			long: `Prints one line per service:
  NAME: tags="..." desc="..." proxy="..." cmd="..." requires="..."
      last_exit="exit 1 at DATE" restarts=N
leaving out what is not set. With --json: an array of {name, tags, desc,
proxy, cmd, requires, restarts, last_exit, last_exit_time}. It is asked as
"command inspect SELECTOR"; from a cfkd that does not know inspect, as
"command desc SELECTOR", without requires, restarts and the last exit (null
in --json).`,
			example: "cfkctl desc svc1"},
		{name: "inspect", args: "[REF...]", group: groupServices, min: 0, max: many, run: runInspect,
			short: "print everything cfkd knows of services, one JSON object a line",
			long: `Prints one JSON object per service, as cfkd answers "command inspect
SELECTOR": name, state, pid, start_time, stop_time, proxy, proxy_up,
fail_reason, running_cmd, retries (failed starts in a row), crashes (crashes
of a running process in a row), next_start (when a service in backoff starts
again), restarts (processes launched since it was declared, less one),
last_exit ("exit 1", "signal 9") and last_exit_time, notify_status (its
last sd_notify STATUS=), last_error (why its last start failed, until it
runs), tags, desc, cmd, requires (the services it requires),
running_former (true: it runs a process of a former declaration), done
(true: a oneshot that exited 0) and waiting_for (the services a verb
asked of it and not begun waits for: for a start, what it requires,
until they run; for a stop, what requires it, until they are down). Times are RFC 3339; absent values are left
out, but for name, state, retries, crashes, restarts and tags. With --json:
one array of them.`,
			example: "cfkctl inspect web1\ncfkctl --json inspect @web"},
		{name: "events", args: "[REF...]", group: groupServices, min: 0, max: many, run: runEvents,
			short: "print what happens, as it happens: state changes, proxies, sockets, warnings",
			long: `Prints one line per event until interrupted, or until cfkd shuts down
(exit status 0; a connection lost without a shutdown, cfkd crashed or
killed, is said on stderr, exit status 1):
  16:04:05 web1 running → fail (Exited with error 1)
  16:04:06 web1 fail → starting (pid 4712)
  16:04:06 proxy p down → up (pid 4713)
  16:04:07 socket web unbound → bound (127.0.0.1:8080)
  16:04:08 cfkd warn: web1 crashed 2 times in a row; restarting in 1s (service web1)
Without REF, every event: the services' state changes, the proxies', the
shared sockets' binds and closes, and cfkd's own warnings and errors. With
REFs, only the events of the services they select: their state changes (a
tag as the service has it when the change happens), their destruction, and
cfkd's warnings and errors that name one of them (a crash's "child
terminated abnormally", "crashed 2 times in a row").

With --json: each event as cfkd sends it, one JSON object per line
(kind, time, service, from, to, pid, reason, ...; see the reference).

Sent as "command events SELECTOR", one connection per reference. A client
that does not keep up is cut off by cfkd: cfkctl then says how many events
were lost and exits with status 1.`,
			example: "cfkctl events\ncfkctl events @web\ncfkctl --json events web1"},
		{name: "tail", args: "NAME", opts: "[-f] [-n N]", group: groupServices, min: 1, max: 1, run: runTail,
			short: "print the last lines a service wrote (-f: and follow the new ones)",
			long: `Prints the last lines the service NAME wrote on its stdout and stderr,
oldest first, as it wrote them (cfkd keeps its last 64 KiB of them):
20 by default, -n N for N. With -f (--follow), then prints the new lines as
they come, until interrupted, or until the service is destroyed or cfkd
shuts down (exit status 0; a connection lost without a shutdown, cfkd
crashed or killed, is said on stderr, exit status 1).

Sent as "command tail NAME N" ("command tail NAME N follow"). With --json:
{"ok":true,"lines":[...]}; with -f, one JSON string per line. A follower
that does not keep up is cut off by cfkd (exit status 1).`,
			example: "cfkctl tail web1\ncfkctl tail -f -n 100 web1"},
		{name: "list", group: groupServices, min: 0, max: 0, run: runList,
			short: "list the names of all services",
			long:  `Prints the name of every service cfkd knows, one per line.`},

		{name: "proxystatus", group: groupProxies, min: 0, max: 0, run: runProxyStatus,
			short: "show whether each proxy is up, and its pid",
			long:  `Prints one line per proxy: up or down, its name and, when up, its pid.`},
		{name: "proxyup", args: "NAME", group: groupProxies, min: 1, max: 1, run: runProxyUp,
			short: "run a proxy",
			long:  `Runs the proxy NAME, so that the services under it can be started.`},
		{name: "proxydown", args: "NAME", group: groupProxies, min: 1, max: 1, run: runProxyDown,
			short: "shut a proxy down (its services stop)",
			long:  `Shuts the proxy NAME down; the services that were up under it end stopped (the proxy stops them), or fail when it did not report their exit.`},

		{name: "sockets", group: groupSockets, min: 0, max: 0, run: runSockets,
			short: "show the shared sockets: address, bound or not, services",
			long: `Prints one line per socket declared with "socket NAME ATTR=VALUE": bound
or unbound, its name, its address (host:port with the real port once bound,
or unix:PATH) and the services that use it (tie_stdin_to, listen_sockets),
"-" for none when a UNIX socket's user, group or mode follow.

With --json: an array of {name, host, service, address, bound, services},
with user, group and mode when set.`,
			example: "cfkctl sockets\ncfkctl --json sockets"},
		{name: "bind", args: "SOCKNAME", group: groupSockets, min: 1, max: 1, run: runBind,
			short: "bind a declared socket",
			long: `Binds the socket SOCKNAME, declared with "socket SOCKNAME ATTR=VALUE"
lines, so that services tied to it (tie_stdin_to, listen_sockets) can
accept on it. It stays bound while they come and go, until unbind or
shutdown. A socket already bound is an error; a change to its declaration
takes effect at its next bind (unbind, then bind).`,
			example: "cfkctl load - <<'END'\nsocket web host=127.0.0.1\nsocket web service=8080\nEND\ncfkctl bind web"},
		{name: "unbind", args: "SOCKNAME", group: groupSockets, min: 1, max: 1, run: runUnbind,
			short: "close a bound socket",
			long: `Closes the socket SOCKNAME (a UNIX socket's file is removed). Refused while a
service that uses it is up: stop them first. Connections waiting in its
backlog are dropped.`},

		{name: "load", args: "FILE|-", group: groupOther, min: 1, max: 1, run: runLoad,
			short: "send the lines of FILE (- for standard input) to cfkd",
			long: `Sends each line of FILE, or of standard input for -, to cfkd: declarations
(service, socket, proxy) and commands, in the language of a config file.
Blank lines and comments are skipped. Every ${BASE} becomes --basedir (made
absolute), or the current directory. Stops at the first error, printed as
FILE:LINE: MESSAGE.`,
			example: "cfkctl load services.conf\ncfkctl --basedir /srv/app load - <<'END'\nservice app cmd=${BASE}/bin/app\nEND"},
		{name: "apply", args: "FILE|-", opts: "[--dry-run] [--prune] [--rolling]", group: groupOther, min: 1, max: 1, run: runApply,
			short: "make cfkd declare what FILE declares: print the plan, then apply it",
			long: `Compares FILE (a config file: service, socket and proxy declarations; its
command lines are not run) with what cfkd has declared, prints the plan, one
line per change, then applies it:
  + NAME               a service FILE declares and cfkd does not: declared
  ~ NAME: ATTR, ATTR   a service whose attributes differ: declared as FILE
                       says (what FILE leaves out goes back to its default)
                       and, if it is up, restarted
  ~ NAME: ATTR (in place)
                       the same, restarting nothing: the changes take
                       effect on the process as it runs (desc, tags,
                       requires, stopwait_secs, stop_signal,
                       success_exit_codes, respawn_*, restart_*, what acts
                       on nothing), or it runs FILE's declaration already
  - NAME               a service cfkd has and FILE does not: destroyed with
                       --prune, else kept
  + socket NAME, ~ socket NAME: ATTR, - socket NAME, and the same with
  proxy: the sockets and proxies; a change takes effect at the socket's
  next bind or the proxy's next run; one marked - is kept (cfkd cannot
  forget a socket or a proxy)
  ~ proxy NAME: (running a former declaration)
                       a proxy whose process was launched before its cmd
                       or add_env changed: it runs the new ones once it
                       runs again (proxydown, then proxyup or a start)
  ~ socket NAME: (bound with a former declaration)
                       a bound socket whose declaration changed since its
                       bind: it takes the new one once bound again
                       (unbind, then bind)
or "no changes". New services are declared, not started.

cfkd compares the configurations themselves, attribute by attribute, so a
file loaded with "cfkd -c FILE" applies as "no changes". The file goes in
one request and cfkd applies it as one unit: the plan and the declarations
at once, then the removals (--prune) and the restarts, all at once or, with
--rolling, one at a time, each running again before the next is stopped
(the first that does not come back up stops the roll). Two applies never
interleave: the second waits for the first and plans from what it left.
The plan is printed once everything is done (see --timeout).

--dry-run prints the plan and changes nothing (allowed on a command-only
console). Every ${BASE} becomes --basedir (made absolute), else the
directory of FILE, or the current directory for -. Services that could
not be destroyed or restarted are printed on stderr as NAME: MESSAGE, with
exit status 1. A plan line of a newer cfkd that cfkctl cannot read all of
is shown as cfkd wrote it. With --json: {ok, dry_run, changes: [{op, kind,
name, attrs, running_former, bound_former, in_place, line}], failures: [...], notes: [...]}.`,
			example: "cfkctl apply --dry-run /etc/cfk/services.conf\ncfkctl apply --rolling --prune /etc/cfk/services.conf"},
		{name: "version", group: groupOther, min: 0, max: 0, run: runVersion,
			short: "print the version of cfkd",
			long:  `Prints the version of the cfkd cfkctl talks to (--version prints cfkctl's).`},
		{name: "shutdown", group: groupOther, min: 0, max: 0, run: runShutdown,
			short: "bring every service down and stop cfkd",
			long: `Brings every service down, shuts the proxies down, unbinds the sockets,
then cfkd exits.`},
		{name: "upgrade", args: "[--binary PATH]", group: groupOther, min: 0, max: 0, run: runUpgrade,
			short: "re-execute cfkd in place, keeping every service running",
			long: `cfkd re-executes itself with the same pid, from PATH (made absolute here)
or from its own executable as it is on disk now: every service, socket and
pipe is kept, no service restarts, and clients that connect meanwhile wait
for the new cfkd. PATH is checked first (it must be a cfkd that understands
this cfkd's state); a binary that is not changes nothing and the error says
why (exit status 1). Prints "upgrading to cfkd VERSION" once the new binary
was checked, then waits for the cfkd that serves after the exec: exit status
1 when it is not the new one (the exec failed, or the new cfkd failed and
the former one took every service over again), saying why. Needs admin.`,
			example: "cfkctl upgrade\ncfkctl upgrade --binary /usr/local/bin/cfkd.new"},
		{name: "upgraded", group: groupOther, min: 0, max: 0, run: runUpgraded,
			short: "say what the last upgrade in place of cfkd did",
			long: `Prints what the last upgrade in place did, and when: "upgraded in place from
cfkd OLD to cfkd NEW", "the upgrade in place failed and was rolled back:
..." (the new cfkd failed, the former one took every service over again),
"upgrade: exec PATH failed: ...", or that cfkd was never upgraded in place
since it started. With --json, cfkd's line: EXECS KIND TIME TEXT,
tab-separated (KIND: none, upgraded, rolled-back, exec-failed; TIME in
seconds since the epoch).`,
			example: "cfkctl upgraded"},
		{name: "help", args: "[COMMAND]", group: groupOther, min: 0, max: 1, run: runHelp,
			short: "show this help, or the help of one command",
			long:  `Shows the help of cfkctl, or of COMMAND (as "cfkctl COMMAND --help" does).`},
	}
}

// verb declares one of the service verbs that take at least one reference.
func verb(name, short, long string) *command {
	return &command{name: name, args: "REF...", group: groupServices, min: 1, max: many,
		run:   verbRunner(name),
		short: short,
		long: long + `

Sends one "command ` + name + ` SELECTOR..." with the selectors of every
reference (to a cfkd that takes one selector a request, one request per
reference, in order, each service once, stopping at the first error).
Services that failed while others succeeded are printed on stderr as
warnings (the exit status is 0 then); when none succeeded, cfkd's error,
exit status 1.`,
		example: "cfkctl " + name + " svc1\ncfkctl " + name + " @web",
	}
}

// withOpts sets the flags that apply to c alone (command.opts).
func (c *command) withOpts(opts string) *command {
	c.opts = opts
	return c
}

// lookup returns the command called name, or nil.
func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// usage is the synopsis of the command, without "cfkctl ": its name, the
// flags that apply to it alone, its arguments (the usage line of a usage
// error, and `cfkctl help NAME`).
func (c *command) usage() string {
	return strings.Join(strings.Fields(c.name+" "+c.opts+" "+c.args), " ")
}

// synopsis is usage without the flags: the main help's.
func (c *command) synopsis() string {
	return strings.Join(strings.Fields(c.name+" "+c.args), " ")
}

// missing says what a command given n arguments, fewer than its min,
// lacks: the word of its synopsis at n ("signal" without SIG needs a
// signal, "fleet" a subcommand), else its service references.
func (c *command) missing(n int) string {
	words := strings.Fields(c.args)
	if n < len(words) {
		switch words[n] {
		case "SIG":
			return "a signal (TERM, HUP, ...), then at least one service reference"
		case "SUBCOMMAND":
			return "a subcommand: hosts, status, start, stop, up, down, restart, signal, events, certs or addcert"
		}
	}
	return "at least one service reference"
}

// checkArgs checks the number of arguments.
func (c *command) checkArgs(args []string) error {
	switch {
	case c.max == 0 && len(args) > 0:
		return usageErrorf(c, "%s takes no argument", c.name)
	case c.min == c.max && len(args) != c.min:
		return usageErrorf(c, "%s takes exactly one argument: %s", c.name, c.args)
	case len(args) < c.min:
		return usageErrorf(c, "%s needs %s", c.name, c.missing(len(args)))
	case c.max != many && len(args) > c.max:
		return usageErrorf(c, "%s takes at most %d argument", c.name, c.max)
	}
	return nil
}
