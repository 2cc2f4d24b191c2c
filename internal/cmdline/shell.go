package cmdline

import (
	"path"
	"strings"
)

// shells are the programs ShellScript takes for a POSIX-like shell, by
// the base name of argv[0].
var shells = map[string]bool{"sh": true, "bash": true, "dash": true, "ash": true, "ksh": true, "mksh": true, "zsh": true, "yash": true}

// ShellScript returns the script that argv has a shell run: argv is
// `/bin/sh -c SCRIPT` (what Argv makes of a string that needs a shell),
// or a shell named by its path or its name (sh, bash, dash, ash, ksh,
// mksh, zsh, yash) with options among which -c (`bash -ec SCRIPT`), then
// the script. ok is false for any other argv, and for a shell that runs a
// file or its standard input.
func ShellScript(argv []string) (shell, script string, ok bool) {
	if len(argv) < 2 || !shells[path.Base(argv[0])] {
		return "", "", false
	}
	c := false
	for i := 1; i < len(argv); i++ {
		a := argv[i]
		switch {
		case a == "--" || a == "-":
			if c && i+1 < len(argv) {
				return argv[0], argv[i+1], true
			}
			return "", "", false
		case strings.HasPrefix(a, "--"): // bash's long options (--norc)
		case len(a) > 1 && (a[0] == '-' || a[0] == '+'):
			c = c || a[0] == '-' && strings.ContainsRune(a, 'c')
			// each o or O among the letters takes its option's name from
			// the next argument (`-o pipefail`, `-euo pipefail`)
			i += strings.Count(a, "o") + strings.Count(a, "O")
		default:
			if c {
				return argv[0], a, true
			}
			return "", "", false
		}
	}
	return "", "", false
}

// Execs reports whether script has a command `exec PROGRAM ...`: the
// shell replaces itself with a program, which keeps the shell's pid.
// Without one, every program the script runs is a child of the shell,
// with a pid of its own (dash, the /bin/sh of Debian and Ubuntu, forks
// even the last command; bash may exec a last simple command by itself).
// An `exec` with only redirections (`exec 2>&1`) replaces nothing. The
// scan knows quotes, comments and the words after which a command
// starts; it does not run the script: an `exec` in a branch never taken
// counts as well.
func Execs(script string) bool {
	atCommand := true // the next word is in a command's position
	for i := 0; i < len(script); {
		c := script[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case c == '\n' || c == ';' || c == '&' || c == '|' || c == '(' || c == ')' || c == '{' || c == '}' || c == '`':
			atCommand = true
			i++
		case c == '#':
			for i < len(script) && script[i] != '\n' {
				i++
			}
		default:
			w, next := shellWord(script, i)
			i = next
			switch {
			case !atCommand:
			case w == "exec":
				if execsAProgram(script[i:]) {
					return true
				}
				atCommand = false
			case commandFollows[w], isAssignment(w):
				// an assignment before a command (`FOO=1 exec app`)
				// leaves the command its position
			default:
				atCommand = false
			}
		}
	}
	return false
}

// commandFollows are the words after which a command starts.
var commandFollows = map[string]bool{"!": true, "if": true, "then": true, "else": true, "elif": true, "while": true, "until": true, "do": true, "time": true}

// execsAProgram says whether what follows a command word `exec` names a
// program: its next word that is not a redirection (`exec >log 2>&1
// app` execs app with them; `exec 2>&1` alone replaces nothing).
func execsAProgram(rest string) bool {
	for {
		rest = strings.TrimLeft(rest, " \t")
		if rest == "" {
			return false
		}
		switch rest[0] {
		case '\n', ';', '&', '|', ')', '}', '#':
			return false
		}
		after, redirection := skipRedirection(rest)
		if !redirection {
			return true
		}
		rest = after
	}
}

// skipRedirection returns what follows the redirection rest starts with
// (`2>&1`, `>file`, `< file`, `3<>f`, `>&-`), and false when it starts
// with none.
func skipRedirection(rest string) (string, bool) {
	i := 0
	for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
		i++
	}
	if i == len(rest) || rest[i] != '<' && rest[i] != '>' {
		return rest, false
	}
	for i < len(rest) && strings.IndexByte("<>&|", rest[i]) >= 0 {
		i++
	}
	rest = strings.TrimLeft(rest[i:], " \t")
	if rest == "" || strings.IndexByte("\n;&|)}#<>", rest[0]) >= 0 {
		return rest, true // no target: the next step tells
	}
	_, next := shellWord(rest, 0)
	return rest[next:], true
}

// isAssignment says whether w is a variable assignment, NAME=VALUE.
func isAssignment(w string) bool {
	name, _, ok := strings.Cut(w, "=")
	if !ok || name == "" {
		return false
	}
	for i, c := range name {
		if c != '_' && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// shellWord returns the word of script that starts at i (quotes kept,
// a backslash's next byte taken as it is) and where it ends.
func shellWord(script string, i int) (string, int) {
	start := i
	var quote byte
	for i < len(script) {
		c := script[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else if c == '\\' && quote == '"' {
				i++
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '\\':
			i++
		case c == ' ' || c == '\t' || c == '\n' || c == ';' || c == '&' || c == '|' || c == '(' || c == ')' || c == '`':
			return script[start:i], i
		case c == '<' || c == '>':
			if i > start && strings.Trim(script[start:i], "0123456789") != "" {
				return script[start:i], i // a redirection right after a word: its own
			}
		}
		i++
	}
	return script[start:min(i, len(script))], min(i, len(script))
}
