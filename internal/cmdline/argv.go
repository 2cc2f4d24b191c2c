package cmdline

import (
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/mattn/go-shellwords"
)

// Argv turns a service command into the argv to exec (REFERENCE §2.6). A
// JSON-array command arrives already split (argv != nil) and is returned as
// is (error if empty). A string that is a plain word list (quotes and
// backslash escapes allowed, no shell syntax) is split with
// github.com/mattn/go-shellwords (ParseEnv and ParseBacktick false) and
// exec'd directly; a string that needs a shell (see NeedsShell) runs as
// []string{"/bin/sh", "-c", s}. A blank string is an error.
//
// Unbalanced quotes make a string need a shell rather than an error here:
// sh then reports the syntax error on the service's stderr and exits 2, so
// the service fails like any command sh cannot run.
func Argv(s string, argv []string) ([]string, error) {
	if argv != nil {
		if len(argv) == 0 || argv[0] == "" {
			return nil, errors.New("empty command")
		}
		return argv, nil
	}
	if strings.TrimLeft(s, " \t\r\n") == "" {
		return nil, errors.New("empty command")
	}
	if NeedsShell(s) {
		return []string{"/bin/sh", "-c", s}, nil
	}
	p := shellwords.NewParser()
	p.ParseEnv = false
	p.ParseBacktick = false
	p.ParseComment = false
	words, err := p.Parse(s)
	if err != nil || p.Position >= 0 {
		// NeedsShell lets through only what the parser reads whole; fall
		// back to sh rather than guess.
		return []string{"/bin/sh", "-c", s}, nil
	}
	if len(words) == 0 || words[0] == "" {
		return nil, errors.New("empty command")
	}
	return words, nil
}

// NeedsShell reports whether s must run as `/bin/sh -c s`: it uses shell
// syntax outside quotes, or it is not a word list that go-shellwords splits
// exactly as sh would. The direct exec of Argv is only an optimisation, so
// every doubt goes to sh.
//
// The scan keeps quote state: inside single quotes nothing is special;
// inside double quotes `$` and "`" are; a backslash outside single quotes
// escapes the next character. A string needs a shell when it has:
//   - outside quotes, one of  ; & | < > ( ) $ ` * ? [ ] { } ~ !  or a
//     newline or carriage return, or a # at the start of a word;
//   - inside double quotes, $ or `;
//   - a first word of the form NAME=... (an assignment: `FOO=1 cmd`);
//   - a first word that is a shell reserved word or a builtin without a
//     program of its own (`exec cmd`, `cd /x`, `. file`, `ulimit`...);
//   - unbalanced quotes or a trailing backslash (sh reports the error);
//   - an escape that go-shellwords reads differently from sh: \t and \n
//     (shellwords makes them a tab and a newline), a backslash-newline (a
//     line continuation in sh), a backslash in double quotes before any
//     character but $ ` " \ (sh keeps the backslash);
//   - invalid UTF-8 (shellwords would turn those bytes into U+FFFD).
func NeedsShell(s string) bool {
	if !utf8.ValidString(s) {
		return true
	}
	const (
		outside = iota
		single
		double
	)
	state := outside
	wordStart := true // the next character starts a word (outside quotes)
	wordIndex := 0    // index of the current word
	inWord := false
	// first word: its literal value, and whether it is still a possible
	// assignment name (only unquoted name characters so far)
	var first strings.Builder
	nameOK := true

	endWord := func() {
		if inWord {
			wordIndex++
			inWord = false
		}
		wordStart = true
	}
	// lit records one literal character of the current word.
	lit := func(c byte, plainName bool) {
		if wordIndex == 0 {
			first.WriteByte(c)
			if !plainName {
				nameOK = false
			}
		}
		inWord = true
		wordStart = false
	}

	for i := 0; i < len(s); i++ {
		c := s[i]
		switch state {
		case single:
			if c == '\'' {
				state = outside
			} else {
				lit(c, false)
			}
			continue
		case double:
			switch c {
			case '"':
				state = outside
			case '$', '`':
				return true
			case '\\':
				if i+1 >= len(s) {
					return true
				}
				switch s[i+1] {
				case '$', '`', '"', '\\':
					i++
					lit(s[i], false)
				default: // sh keeps the backslash, shellwords drops it
					return true
				}
			default:
				lit(c, false)
			}
			continue
		}
		// outside quotes
		switch c {
		case ' ', '\t':
			endWord()
		case '\n', '\r',
			';', '&', '|', '<', '>', '(', ')', '$', '`',
			'*', '?', '[', ']', '{', '}', '~', '!':
			return true
		case '#':
			if wordStart {
				return true
			}
			lit(c, false)
		case '\'':
			state = single
			inWord, wordStart = true, false
			if wordIndex == 0 {
				nameOK = false
			}
		case '"':
			state = double
			inWord, wordStart = true, false
			if wordIndex == 0 {
				nameOK = false
			}
		case '\\':
			if i+1 >= len(s) {
				return true // a trailing backslash
			}
			i++
			switch s[i] {
			case '\n', 't', 'n':
				return true
			}
			lit(s[i], false)
		case '=':
			if wordIndex == 0 && nameOK && isName(first.String()) {
				return true // NAME=value: an assignment
			}
			lit(c, false)
		default:
			lit(c, isNameByte(c))
		}
	}
	if state != outside {
		return true // unbalanced quotes: let sh report them
	}
	return shellWords[first.String()]
}

func isNameByte(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func isName(s string) bool {
	if s == "" || '0' <= s[0] && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isNameByte(s[i]) {
			return false
		}
	}
	return true
}

// shellWords are first words that only sh understands: reserved words and
// builtins that have no program of their own (or whose program cannot do
// what the builtin does, like cd).
var shellWords = map[string]bool{
	// reserved words
	"if": true, "then": true, "else": true, "elif": true, "fi": true,
	"do": true, "done": true, "case": true, "esac": true, "while": true,
	"until": true, "for": true, "in": true, "function": true, "select": true,
	"time": true, "[[": true, "]]": true,
	// builtins
	".": true, ":": true, "source": true, "exec": true, "eval": true,
	"export": true, "readonly": true, "set": true, "unset": true,
	"shift": true, "trap": true, "ulimit": true, "umask": true, "cd": true,
	"wait": true, "exit": true, "return": true, "break": true,
	"continue": true, "alias": true, "unalias": true, "local": true,
	"command": true, "type": true, "hash": true, "read": true,
	"getopts": true, "times": true,
}
