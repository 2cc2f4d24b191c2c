package proxywire

import (
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cfk/cfk/messages"
)

// FuzzCommandLine: ParseCommand never panics, and what it accepts encodes
// to a line that parses back to the same command.
func FuzzCommandLine(f *testing.F) {
	for _, s := range []string{
		`{"command":"stop","name":"web"}`,
		`{"command":"start","cmd":"sleep 10","name":"s1","ignore_stderr":"1","ignore_stdout":"0","env":{"A":"b"},"tie_stdin_to":null}`,
		`{"command":"start","cmd":["a","b"],"name":"s","no_new_session":true,"env":{"N":1e3}}`,
		`{"command":"start","name":"x","cmd":"a","ignore_stdout":-0}`,
		`{"command":1}`, `[]`, `null`, `{`, "",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		c, err := ParseCommand(line)
		if err != nil {
			return
		}
		b, err := EncodeCommand(c)
		if err != nil {
			t.Fatalf("%q parsed as %+v, which does not encode: %v", line, c, err)
		}
		back, err := ParseCommand(b)
		if err != nil {
			t.Fatalf("%q → %q: %v", line, b, err)
		}
		if !equalCommand(c, back) {
			t.Fatalf("%q → %q:\n%+v\n%+v", line, b, c, back)
		}
	})
}

// FuzzCommandRoundTrip: for any command EncodeCommand accepts, the line is
// one line that ParseCommand reads back as that command (its strings
// valid UTF-8: other bytes are sent as U+FFFD).
func FuzzCommandRoundTrip(f *testing.F) {
	f.Add(false, "web", "sleep 10", false, "", true, "A", "b", false, true, false, "")
	f.Add(false, "a<b>&", "", true, "perl\x00-e\x00print 1 <2", false, "", "", true, false, true, "web")
	f.Add(true, "web", "", false, "", false, "", "", false, false, false, "")
	f.Add(true, "web", "x", false, "", false, "", "", false, false, false, "")
	f.Add(false, "", " ", true, "", true, "A=B", "\x00", false, false, false, "")
	f.Fuzz(func(t *testing.T, stop bool, name, cmd string, useArgv bool, argv string, useEnv bool, key, val string,
		ignOut, ignErr, noNew bool, tie string) {
		c := Command{Command: CommandStart, Name: name, Cmd: cmd, IgnoreStdout: ignOut, IgnoreStderr: ignErr,
			NoNewSession: noNew, TieStdinTo: tie}
		if stop {
			c.Command = CommandStop
		}
		if useArgv {
			c.Argv = strings.Split(argv, "\x00")
		}
		if useEnv {
			c.Env = map[string]string{key: val}
		}
		b, err := EncodeCommand(c)
		if err != nil {
			return
		}
		if strings.IndexByte(string(b), '\n') != len(b)-1 {
			t.Fatalf("%+v: not one line: %q", c, b)
		}
		back, err := ParseCommand(b)
		if err != nil {
			t.Fatalf("%+v → %q: %v", c, b, err)
		}
		if validUTF8(name, cmd, argv, key, val, tie) && !equalCommand(c, back) {
			t.Fatalf("%+v → %q →\n%+v", c, b, back)
		}
	})
}

// FuzzParseStatus: no input panics; an accepted line has a status, a name
// and a process id, and encodes to a line that parses back to it.
func FuzzParseStatus(f *testing.F) {
	for _, s := range []string{
		`{"status":"started","name":"web1","pid":4242}`,
		`{"status":"stopped","name":"web1","pid":4242,"exit_status":256}`,
		`{"status":"started","name":"x","pid":1,"exit_status":null}`,
		`{"status":"stopped","name":"x","pid":-1,"exit_status":9}`,
		`{"status":"bogus"}`, `not json`, `{"pid":1e100}`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		s, err := ParseStatus(line)
		if err != nil {
			return
		}
		if s.Status != StatusStarted && s.Status != StatusStopped || s.Name == "" || s.Pid <= 0 || s.Pid > math.MaxInt32 {
			t.Fatalf("accepted %q as %+v", line, s)
		}
		b := EncodeStatus(s)
		if back, err := ParseStatus(b); err != nil || back != s {
			t.Fatalf("%q → %+v → %q → %+v, %v", line, s, b, back, err)
		}
	})
}

// FuzzStatusRoundTrip: EncodeStatus writes what it is given; ParseStatus
// reads back exactly the statuses that are valid (a known status, a name,
// a process id), as they were (a started has no exit status; the name
// valid UTF-8).
func FuzzStatusRoundTrip(f *testing.F) {
	f.Add(StatusStarted, "web", 4242, 0)
	f.Add(StatusStopped, "web<1>", 1, 256)
	f.Add(StatusStopped, "web", 0, 127<<8)
	f.Add(StatusStarted, "", 12, 0)
	f.Add("gone", "web", 12, 0)
	f.Add(StatusStopped, "x", math.MaxInt32+1, -1)
	f.Fuzz(func(t *testing.T, status, name string, pid, ws int) {
		s := Status{Status: status, Name: name, Pid: pid}
		if status == StatusStopped {
			s.ExitStatus = ws
		}
		valid := (status == StatusStarted || status == StatusStopped) && name != "" && pid > 0 && pid <= math.MaxInt32
		b := EncodeStatus(s)
		back, err := ParseStatus(b)
		switch {
		case err != nil && valid:
			t.Fatalf("%+v → %q: %v", s, b, err)
		case err == nil && !valid:
			t.Fatalf("%+v → %q: accepted as %+v", s, b, back)
		case err == nil && utf8.ValidString(name) && back != s:
			t.Fatalf("%+v → %q → %+v", s, b, back)
		}
	})
}

// FuzzParseLogLine: no input panics; an accepted line splits back into
// itself.
func FuzzParseLogLine(f *testing.F) {
	for _, s := range []string{"out:web1:hello", "err:-:Got signal TERM", "out:web1:a:b:c", "out::x", "bad", "err:9x:y", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		l, err := ParseLogLine(line)
		if err != nil {
			return
		}
		if l.Stream != StreamOut && l.Stream != StreamErr || (l.Service != SelfName && !messages.ValidName(l.Service)) {
			t.Fatalf("accepted %q as %+v", line, l)
		}
		if back := strings.Join([]string{l.Stream, l.Service, l.Message}, ":"); back != line {
			t.Fatalf("%q parsed as %+v, which joins back to %q", line, l, back)
		}
	})
}

func validUTF8(ss ...string) bool {
	for _, s := range ss {
		if !utf8.ValidString(s) {
			return false
		}
	}
	return true
}
