package daemon

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A -c file was run line by line up to its first bad line: the services
// its first lines started ran, then were stopped, and the error named
// that line alone, one start of cfkd per line to mend. Every line is now
// parsed before any runs: a file with bad lines is refused with nothing
// run, and each bad line is named (REFERENCE §7.4).
func TestConfigRefusedWholeWithEveryBadLine(t *testing.T) {
	ran := ranFile(t)
	text := "service a cmd=touch " + ran + "\ncommand start all\nservice b cwdd=/tmp\n\nservice c cmd=sleep 1\nservice d bogus=1\nfrobnicate\ncommand shutdown\n"
	for i := range 22 {
		text += fmt.Sprintf("service s%d nosuch=1\n", i)
	}
	r := runConfig(t, text, nil)
	conf, err := r.conf, r.err
	want := []string{
		"cfkd: " + conf + ":3: invalid property 'cwdd' (did you mean 'cwd'?)",
		"cfkd: " + conf + ":6: invalid property 'bogus'",
		"cfkd: " + conf + ":7: unknown command 'frobnicate'",
		"cfkd: " + conf + ":8: " + errConfigShutdown.Error(),
	}
	for i := range 16 {
		want = append(want, fmt.Sprintf("cfkd: %s:%d: invalid property 'nosuch'", conf, 9+i))
	}
	want = append(want, "cfkd: "+conf+": and 6 more bad lines")
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Fatalf("Run: %v\nwant:\n%s", err, strings.Join(want, "\n"))
	}
	notRan(t, ran)
}

// A line whose value holds another attribute's ATTR=... runs as ever,
// and is warned of, `cfkd: warning: FILE:N: ...` (REFERENCE §7.4).
func TestConfigAttributeInValueWarned(t *testing.T) {
	var stderr strings.Builder
	// its second line fails when run: Run returns
	r := runConfig(t, "service w cmd=sleep 100 tags=web\ncommand desc service nosuch\n", &stderr)
	conf, err := r.conf, r.err
	if err == nil || !strings.Contains(err.Error(), conf+":2: ") {
		t.Fatalf("Run: %v, want the second line's error", err)
	}
	want := "cfkd: warning: " + conf + ":1: 'tags=web' is part of the value of cmd: a line sets one attribute, " +
		"the rest of the line its value; to set tags, write 'service w tags=web' on a line of its own\n"
	if got := stderr.String(); !strings.Contains(got, want) {
		t.Fatalf("stderr %q, want %q in it", got, want)
	}
}

// What a config file's error or warning quotes is written on stderr
// with its control characters \xNN and a \ as \\ (REFERENCE §7.4): a line
// holding a literal \n read as one holding a newline, \x1b as an ESC.
// The log gets the warning escaped once, by the log (REFERENCE §6.2),
// not \x1b escaped again into \\x1b.
func TestConfigErrorsEscapeBackslashes(t *testing.T) {
	ran := ranFile(t)
	r := runConfig(t, "service a cmd=touch "+ran+"\nfrob\\nnicate\nfrob\x1bnicate\n", nil)
	want := "cfkd: " + r.conf + ":2: unknown command 'frob\\\\nnicate'\n" +
		"cfkd: " + r.conf + ":3: unknown command 'frob\\x1bnicate'"
	if r.err == nil || r.err.Error() != want {
		t.Fatalf("Run: %v\nwant:\n%s", r.err, want)
	}
	notRan(t, ran)

	var stderr strings.Builder
	r = runConfig(t, "service w desc=x tags=a\\nb\x1b\ncommand desc service nosuch\n", &stderr)
	if r.err == nil || !strings.Contains(r.err.Error(), r.conf+":2: ") {
		t.Fatalf("Run: %v, want the second line's error", r.err)
	}
	warned := r.conf + ":1: 'tags=a\\\\nb\\x1b' is part of the value of desc"
	if got := stderr.String(); !strings.Contains(got, "cfkd: warning: "+warned) {
		t.Errorf("stderr %q, want %q in it", got, warned)
	}
	b, err := os.ReadFile(filepath.Join(r.dir, "home", "cfkd.log"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "WARN cfkd - "+warned) {
		t.Errorf("cfkd.log:\n%s\nwant %q in it", b, "WARN cfkd - "+warned)
	}
}

// The errors of a config file's lines go to the log escaped once, by the
// log (REFERENCE §6.2), as its warnings do: the text stderr gets, with a
// \ as \\ and an ESC as \x1b, was escaped again in the log's `cfkd stops:`
// record ('frob\\\\nnicate', 'frob\\x1bnicate'), and its `config file
// refused` record's error field quoted that text once more. Both the
// error of a line that does not parse and that of a line that fails when
// run.
func TestConfigErrorsLoggedEscapedOnce(t *testing.T) {
	for _, tc := range []struct{ name, text string }{
		{"parse", "frob\\nnicate\nfrob\x1bnicate\n"},
		{"run", "service w cmd=sleep 1\nservice w env_file=/frob\\nnicate\x1b\ncommand start service w\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runConfig(t, tc.text, nil)
			if r.err == nil {
				t.Fatal("Run: no error")
			}
			shown := strings.TrimPrefix(r.err.Error(), "cfkd: ") // stderr's, escaped once
			if !strings.Contains(shown, `frob\\n`) || !strings.Contains(shown, `\x1b`) {
				t.Fatalf("Run: %q, want the line's \\ and ESC escaped", shown)
			}
			b, err := os.ReadFile(filepath.Join(r.dir, "home", "cfkd.log"))
			if err != nil {
				t.Fatal(err)
			}
			log := string(b)
			if want := "ERROR cfkd - cfkd stops: " + strings.ReplaceAll(shown, "\n", `\n`); !strings.Contains(log, want) {
				t.Errorf("cfkd.log:\n%s\nwant %q in it", log, want)
			}
			if strings.Contains(log, `\\\\`) || strings.Contains(log, `\\x1b`) {
				t.Errorf("cfkd.log escapes a line's text twice:\n%s", log)
			}
		})
	}
}

// The config file's own name in its errors is escaped on stderr as the
// text of its lines is (REFERENCE §7.4): a -c path holding an ESC reached
// the terminal raw in `FILE:N: ...`, in `FILE: and N more bad lines` and
// in the error of a file that could not be read; the log gets it escaped
// once, by the log (REFERENCE §6.2).
func TestConfigFileNameEscaped(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "a\x1b[31m\\n")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(sub, "cfkd.conf")
	shown := filepath.Join(dir, `a\x1b[31m\\n`, "cfkd.conf")
	bad := strings.Repeat("frob\n", maxConfigErrors+1)
	r := runConfigAt(t, dir, conf, bad, nil)
	if r.err == nil {
		t.Fatal("Run: no error")
	}
	text := r.err.Error()
	if strings.Contains(text, "\x1b") || !strings.Contains(text, shown+":1: unknown command 'frob'") ||
		!strings.Contains(text, shown+": and 1 more bad lines") {
		t.Fatalf("Run: %q, want the file's name as %q", text, shown)
	}
	b, err := os.ReadFile(filepath.Join(dir, "home", "cfkd.log"))
	if err != nil {
		t.Fatal(err)
	}
	if log := string(b); !strings.Contains(log, shown+":1: unknown command") || strings.Contains(log, `\\\\n`) {
		t.Errorf("cfkd.log:\n%s\nwant the file's name escaped once (%s)", log, shown)
	}

	// a line that fails when run
	r = runConfigAt(t, t.TempDir(), conf, "service w cmd=sleep 1\ncommand start service nosuch\n", nil)
	if text := r.err.Error(); r.err == nil || strings.Contains(text, "\x1b") || !strings.Contains(text, shown+":2: ") {
		t.Fatalf("Run: %v, want the file's name as %q", r.err, shown)
	}

	// cfkd's stderr, whatever the error: here one of a flag's, not the file's
	if got := StderrText(errors.New("cfkd: -c /x\x1by: no such file\n\tsecond line")); got != "cfkd: -c /x\\x1by: no such file\n\tsecond line" {
		t.Errorf("StderrText: %q", got)
	}
	if got := StderrText(r.err); got != r.err.Error() {
		t.Errorf("StderrText of a config error: %q, want it as it is, %q", got, r.err.Error())
	}
}
