package osproc

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

var needsShellTests = []struct {
	s     string
	shell bool
}{
	// plain word lists
	{"sleep 10", false},
	{"  sleep\t10  ", false},
	{"/usr/bin/env", false},
	{"prog --opt=value -x", false},
	{"prog a=b", false}, // an assignment only counts as the first word
	{"prog -- FOO=1", false},
	{"echo 'hello world'", false},
	{`echo "hello world"`, false},
	{`echo hello\ world`, false},
	{`echo '$HOME'`, false}, // literal in single quotes
	{`echo '*' '?' '~' '|' ';' '&&' '>' '$(x)' '#'`, false},
	{`echo "*" "?" "~" "|" ";" "&&" ">" "#" "a'b"`, false},
	{`echo \$HOME \* \; \| \> \# \~ \" \'`, false},
	{`echo "a\"b" "c\\d" "\$x" "\` + "`" + `"`, false},
	{`echo 'a\b'`, false},
	{`echo ''`, false},
	{"http://x/#y", false},
	{"curl http://x/#y", false},
	{"echo a#b", false},
	{`echo ""#x`, false},  // # inside a word that began with quotes
	{"1FOO=1 env", false}, // not a name: a command named 1FOO=1
	{"-FOO=1 env", false},
	{"a%b @c ^d :e ,f +g", false},
	{"echo 'multi\nline'", false}, // a newline inside quotes is literal
	{`echo "multi` + "\n" + `line"`, false},
	{"echo \"it's\"", false},
	{"exec2 x", false},
	{"timeout 5 x", false},
	{"grep -e ^a$", true},

	// shell syntax
	{"sleep 10; sleep 10", true},
	{"a && b", true},
	{"a || b", true},
	{"a | b", true},
	{"a & ", true},
	{"a > out", true},
	{"a < in", true},
	{"a 2>&1", true},
	{"a >>log", true},
	{"echo $(date)", true},
	{"echo `date`", true},
	{"echo $HOME", true},
	{`echo "$HOME"`, true},
	{`echo "` + "`date`" + `"`, true},
	{"echo ${HOME}", true},
	{"ls *.txt", true},
	{"ls a?", true},
	{"ls [ab]", true},
	{"echo {a,b}", true},
	{"ls ~/x", true},
	{"ls ~", true},
	{"! false", true},
	{"(sleep 1)", true},
	{"a\nb", true},
	{"a\r\n", true},
	{"FOO=1 env", true},
	{"FOO= env", true},
	{"_x1=2 env", true},
	{"A=1 B=2 env", true},
	{"FOO=1", true},
	{"echo a # b", true},
	{"# comment", true},
	{"a #", true},
	{"\t#x", true},

	// what only sh understands as a first word
	{"exec sleep 10", true},
	{"cd /tmp", true},
	{". ./env.sh", true},
	{"ulimit -n 10", true},
	{"umask 022", true},
	{"if true", true},
	{"while x", true},
	{"source x", true},
	{`"exec" x`, true},

	// quotes sh reads differently from shellwords, and errors for sh
	{`echo "a\b"`, true}, // sh keeps the backslash
	{`echo "\n"`, true},
	{`echo \n`, true}, // shellwords makes it a newline
	{`echo \t`, true},
	{"echo a\\\nb", true}, // line continuation
	{`echo "a\` + "\n" + `b"`, true},
	{"echo 'unbalanced", true},
	{`echo "unbalanced`, true},
	{`echo "a'`, true},
	{`echo a\`, true},
	{"echo \xff", true}, // invalid UTF-8
}

func TestNeedsShell(t *testing.T) {
	for _, tc := range needsShellTests {
		if got := NeedsShell(tc.s); got != tc.shell {
			t.Errorf("NeedsShell(%q) = %v, want %v", tc.s, got, tc.shell)
		}
	}
}

func TestArgv(t *testing.T) {
	for _, tc := range []struct {
		s    string
		argv []string
		want []string
		err  bool
	}{
		{s: "sleep 10", want: []string{"sleep", "10"}},
		{s: " \tsleep   10 \t", want: []string{"sleep", "10"}},
		{s: "echo 'hello world' x", want: []string{"echo", "hello world", "x"}},
		{s: `echo "hello world"`, want: []string{"echo", "hello world"}},
		{s: `echo hello\ world`, want: []string{"echo", "hello world"}},
		{s: `echo a"b c"d 'e'f`, want: []string{"echo", "ab cd", "ef"}},
		{s: `echo '' ""`, want: []string{"echo", "", ""}},
		{s: `echo '$HOME'`, want: []string{"echo", "$HOME"}},
		{s: `echo 'a\b' "c\\d" "e\"f" \g \$ \;`, want: []string{"echo", `a\b`, `c\d`, `e"f`, "g", "$", ";"}},
		{s: "prog a=b", want: []string{"prog", "a=b"}},
		{s: "curl http://x/#y", want: []string{"curl", "http://x/#y"}},
		{s: "echo 'multi\nline'", want: []string{"echo", "multi\nline"}},
		{s: "sleep 10; sleep 10", want: []string{"/bin/sh", "-c", "sleep 10; sleep 10"}},
		{s: "a | b", want: []string{"/bin/sh", "-c", "a | b"}},
		{s: "a 2>&1", want: []string{"/bin/sh", "-c", "a 2>&1"}},
		{s: "echo $(date)", want: []string{"/bin/sh", "-c", "echo $(date)"}},
		{s: "echo `date`", want: []string{"/bin/sh", "-c", "echo `date`"}},
		{s: "echo $HOME", want: []string{"/bin/sh", "-c", "echo $HOME"}},
		{s: `echo "$HOME"`, want: []string{"/bin/sh", "-c", `echo "$HOME"`}},
		{s: "ls *.go", want: []string{"/bin/sh", "-c", "ls *.go"}},
		{s: "ls ~/x", want: []string{"/bin/sh", "-c", "ls ~/x"}},
		{s: "FOO=1 env", want: []string{"/bin/sh", "-c", "FOO=1 env"}},
		{s: "echo a # b", want: []string{"/bin/sh", "-c", "echo a # b"}},
		{s: "exec sleep 1", want: []string{"/bin/sh", "-c", "exec sleep 1"}},
		{s: "echo 'open", want: []string{"/bin/sh", "-c", "echo 'open"}},
		{s: "", err: true},
		{s: "   ", err: true},
		{s: " \t\n ", err: true},
		{s: "''", err: true},
		{s: `"" x`, err: true},
		// JSON arrays are taken as they are
		{s: "ignored", argv: []string{"a b", "$HOME", ";"}, want: []string{"a b", "$HOME", ";"}},
		{argv: []string{"sleep"}, want: []string{"sleep"}},
		{argv: []string{}, err: true},
		{argv: []string{""}, err: true},
	} {
		got, err := Argv(tc.s, tc.argv)
		if tc.err {
			if err == nil {
				t.Errorf("Argv(%q, %q) = %q, want an error", tc.s, tc.argv, got)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("Argv(%q, %q) = %q, %v; want %q", tc.s, tc.argv, got, err, tc.want)
		}
	}
	if _, err := Argv("  ", nil); err == nil || err.Error() != "empty command" {
		t.Errorf("blank command: error %v, want \"empty command\"", err)
	}
}

// A string exec'd directly gives the argv sh would give it: ask sh itself
// (`set -- WORDS` splits WORDS as the arguments of a command).
func TestArgvAgreesWithSh(t *testing.T) {
	var cases []string
	for _, tc := range needsShellTests {
		if !tc.shell {
			cases = append(cases, tc.s)
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	const alphabet = `abnt  '"\=#-/.:%,+@é` + "\t\n"
	runes := []rune(alphabet)
	for len(cases) < 300 {
		n := 1 + rng.IntN(12)
		var b strings.Builder
		b.WriteString("x ")
		for range n {
			b.WriteRune(runes[rng.IntN(len(runes))])
		}
		s := b.String()
		if !NeedsShell(s) {
			cases = append(cases, s)
		}
	}
	for _, s := range cases {
		want, err := Argv(s, nil)
		if err != nil {
			t.Errorf("Argv(%q): %v", s, err)
			continue
		}
		if got := shWords(t, s); !slices.Equal(got, want) {
			t.Errorf("%q: sh splits it as %q, Argv as %q", s, got, want)
		}
	}
}

// shWords asks sh how it splits s into words.
func shWords(t *testing.T, s string) []string {
	t.Helper()
	// each word ends with a NUL; a line "END" ends the output
	c := capture(t, Spec{Argv: sh("set -- " + s + "\nprintf '%s\\0' \"$@\"; echo; echo END")})
	var out []string
	timeout := time.After(deadline)
	for len(out) == 0 || out[len(out)-1] != "END" {
		select {
		case l := <-c.out:
			out = append(out, l)
		case <-timeout:
			t.Fatalf("sh %q: no END: %q", s, out)
		}
	}
	select {
	case l := <-c.err:
		t.Errorf("sh %q: %s", s, l)
	default:
	}
	c.wait(t)
	joined := strings.Join(out[:len(out)-1], "\n")
	words := strings.Split(joined, "\x00")
	return words[:len(words)-1] // after the last NUL: the echo's ""
}
