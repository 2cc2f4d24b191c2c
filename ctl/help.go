package ctl

import (
	"fmt"
	"io"
	"strings"
)

// helpFlags describes the global flags.
const helpFlags = `Flags (anywhere on the line):
  -a, --address ADDR  cfkd's admin socket (default: $CFKCTL_ADDRESS, or
                      unix:$HOME/.controlfreak/sock); see Addresses
      --basedir DIR   what ${BASE} stands for in load and apply (default: the
                      current directory; for apply, FILE's directory)
      --dry-run       apply only: print the plan, change nothing
  -f, --follow        tail only: then print the new lines as they come
      --json          print the result as JSON (errors too: {"ok":false,...})
  -n, --lines N       tail only: how many of the last lines (default 20)
      --prune         apply only: destroy the services FILE does not declare
      --rolling       restart and apply only: one service at a time, each
                      running before the next is stopped
      --timeout DUR   limit for connecting and for each reply: 10s, 1m, or
                      seconds; 0 for none (default 5m)
      --token-file FILE
                      on a TCP console, authenticate with the token in FILE
                      (mode 0600; default: $CFKCTL_TOKEN_FILE)
  -h, --help          show this help, or a command's with COMMAND --help
      --version       print the version of cfkctl`

// helpAddresses describes the address forms.
const helpAddresses = `Addresses:
  /path/to/sock, unix:/path/to/sock, rel/sock   a UNIX socket
  host:port, [::1]:port                         TCP
  host                                          TCP, port 11311`

// helpExamples walks a newcomer through the tutorial.
const helpExamples = `Examples:
  # cfkd must be running (cfkd -d runs it in the background).
  # Declare a service: the same lines as in a config file.
  cfkctl load - <<'END'
  service svc1 cmd=sleep 100
  service svc1 desc=a service that sleeps
  END

  cfkctl start svc1
  cfkctl status
  # running  svc1                   2 seconds ago (Wed Nov 11 16:16:09 2009)

  # Kill it: cfkd starts it again (respawn_on_fail is on by default).
  kill -9 $(cfkctl pid svc1)
  cfkctl status svc1

  # Tags: refer to several services at once with @TAG.
  cfkctl load - <<'END'
  service web1 cmd=sleep 100
  service web1 tags=web,prod
  service web2 cmd=sleep 100
  service web2 tags=web
  END
  cfkctl start @web
  cfkctl status @prod
  cfkctl stop all`

// helpExit describes the exit status.
const helpExit = `Exit status: 0 on success; 1 when cfkd answers ERROR (its message is
printed on stderr as it is) or cannot be reached; 2 on a usage error.`

// printMainHelp prints `cfkctl --help`; a write that fails is the
// command's failure (REFERENCE §8.3).
func printMainHelp(w io.Writer) error {
	var b strings.Builder
	b.WriteString("cfkctl controls cfkd, the cfk process supervisor.\n\n")
	b.WriteString("Usage: cfkctl [FLAGS] COMMAND [ARGS...]\n")
	width := 0
	for _, c := range commands {
		width = max(width, len(c.synopsis()))
	}
	group := ""
	for _, c := range commands {
		if c.group != group {
			group = c.group
			fmt.Fprintf(&b, "\n%s\n", group)
		}
		fmt.Fprintf(&b, "  %-*s  %s\n", width, c.synopsis(), c.short)
	}
	fmt.Fprintf(&b, "\n%s\n\n%s\n\n%s\n\n%s\n", helpFlags, helpAddresses, helpExamples, helpExit)
	_, err := io.WriteString(w, b.String())
	return err
}

// printCommandHelp prints `cfkctl help COMMAND`, as printMainHelp.
func printCommandHelp(w io.Writer, c *command) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: cfkctl [FLAGS] %s\n\n%s.\n\n%s\n", c.usage(), capitalize(c.short), c.long)
	if c.example != "" {
		b.WriteString("\nExamples:\n")
		for _, l := range strings.Split(c.example, "\n") {
			fmt.Fprintf(&b, "  %s\n", l)
		}
	}
	if c.group == groupServices && strings.Contains(c.args, "REF") {
		b.WriteString("\nREF: a service NAME, @TAG for every service with that tag, or all.\n")
	}
	b.WriteString("\nRun 'cfkctl --help' for the flags and the other commands.\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// runHelp is `cfkctl help [COMMAND]`; it needs no connection.
func runHelp(s *session, args []string) error {
	if len(args) == 0 {
		return printMainHelp(s.env.stdout)
	}
	c := lookup(args[0])
	if c == nil {
		return unknownCommand(args[0])
	}
	return printCommandHelp(s.env.stdout, c)
}
