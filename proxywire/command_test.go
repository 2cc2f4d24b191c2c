package proxywire

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
)

func TestParseCommand(t *testing.T) {
	for _, tc := range []struct {
		line string
		want Command
	}{
		{`{"command":"stop","name":"web"}`, Command{Command: "stop", Name: "web"}},
		// what the original Perl cfkd sent: string booleans, undef as null
		{`{"command":"start","cmd":"sleep 10","name":"s1","ignore_stderr":"1","ignore_stdout":"0","env":{"A":"b"},"tie_stdin_to":null}`,
			Command{Command: "start", Name: "s1", Cmd: "sleep 10", IgnoreStderr: true, Env: map[string]string{"A": "b"}}},
		{`{"command":"start","cmd":["sleep","10"],"name":"s1","ignore_stderr":null,"ignore_stdout":"","env":null,"tie_stdin_to":"web","no_new_session":1}`,
			Command{Command: "start", Name: "s1", Argv: []string{"sleep", "10"}, TieStdinTo: "web", NoNewSession: true}},
		{`{"command":"start","cmd":"x","name":"s","ignore_stdout":true,"ignore_stderr":false,"no_new_session":0.0,"env":{"N":12,"Z":null},"extra":[1]}`,
			Command{Command: "start", Name: "s", Cmd: "x", IgnoreStdout: true, Env: map[string]string{"N": "12"}}},
		{` {"command":"start","cmd":"x","name":"s","ignore_stdout":"00"}` + "\r",
			Command{Command: "start", Name: "s", Cmd: "x", IgnoreStdout: true}},
	} {
		got, err := ParseCommand([]byte(tc.line))
		if err != nil {
			t.Errorf("%s: %v", tc.line, err)
			continue
		}
		if !equalCommand(got, tc.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.line, got, tc.want)
		}
	}
}

func equalCommand(a, b Command) bool {
	if len(a.Env) == 0 && len(b.Env) == 0 {
		a.Env, b.Env = nil, nil
	}
	return a.Command == b.Command && a.Name == b.Name && a.Cmd == b.Cmd &&
		slices.Equal(a.Argv, b.Argv) && (a.Argv == nil) == (b.Argv == nil) &&
		maps.Equal(a.Env, b.Env) && a.IgnoreStdout == b.IgnoreStdout &&
		a.IgnoreStderr == b.IgnoreStderr && a.NoNewSession == b.NoNewSession &&
		a.TieStdinTo == b.TieStdinTo
}

func TestParseCommandErrors(t *testing.T) {
	for _, tc := range []struct{ line, want string }{
		{`not json`, "invalid JSON"},
		{`null`, "not a JSON object"},
		{`[1]`, "invalid JSON"},
		{`{"command":"restart","name":"x"}`, `unknown command "restart"`},
		{`{"name":"x"}`, `unknown command ""`},
		{`{"command":"stop"}`, "name: missing or empty"},
		{`{"command":"stop","name":3}`, "name: want a string, got 3"},
		{`{"command":"start","name":"x"}`, "cmd: missing"},
		{`{"command":"start","name":"x","cmd":"  "}`, "cmd: empty"},
		{`{"command":"start","name":"x","cmd":[]}`, "cmd: empty array"},
		{`{"command":"start","name":"x","cmd":[1]}`, "cmd: want a string or an array of strings, got [1]"},
		{`{"command":"start","name":"x","cmd":"a","env":[]}`, "env: want an object, got []"},
		{`{"command":"start","name":"x","cmd":"a","env":{"A=B":"c"}}`, `env: invalid variable name "A=B"`},
		{`{"command":"start","name":"x","cmd":"a","env":{"A":{}}}`, "env A: want a string or a number, got {}"},
		{`{"command":"start","name":"x","cmd":"a","ignore_stdout":[]}`, "ignore_stdout: want a boolean, got []"},
		{`{"command":"start","name":"x","cmd":"a","tie_stdin_to":1}`, "tie_stdin_to: want a string, got 1"},
	} {
		_, err := ParseCommand([]byte(tc.line))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error with %q", tc.line, err, tc.want)
		}
	}
	_, err := ParseCommand([]byte(`{"command":"bogus","name":"x"}`))
	if !errors.Is(err, ErrUnknownCommand) {
		t.Errorf("unknown command: %v is not ErrUnknownCommand", err)
	}
}

func TestEncodeCommandRoundTrip(t *testing.T) {
	for _, c := range []Command{
		{Command: "stop", Name: "web"},
		{Command: "start", Name: "a<b>&", Cmd: `echo "hi" && sleep 1`, Env: map[string]string{"B": "2", "A": "é"}, IgnoreStderr: true, TieStdinTo: "sock"},
		{Command: "start", Name: "x", Argv: []string{"/bin/echo", "a b"}, NoNewSession: true, IgnoreStdout: true},
	} {
		b, err := EncodeCommand(c)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(string(b), "}\n") || strings.Count(string(b), "\n") != 1 {
			t.Errorf("not one line: %q", b)
		}
		got, err := ParseCommand(b)
		if err != nil || !equalCommand(got, c) {
			t.Errorf("%s: got %+v, %v", b, got, err)
		}
	}
	b, _ := EncodeCommand(Command{Command: "start", Name: "s", Cmd: "c", Env: map[string]string{"Z": "1", "A": "2"}})
	want := `{"command":"start","name":"s","cmd":"c","env":{"A":"2","Z":"1"},"ignore_stdout":false,"ignore_stderr":false,"tie_stdin_to":null,"no_new_session":false}` + "\n"
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}

// EncodeCommand refuses what ParseCommand would refuse, with its error,
// and a stop with fields of a start.
func TestEncodeCommandRefuses(t *testing.T) {
	for _, tc := range []struct {
		c    Command
		want string
	}{
		{Command{Command: "restart", Name: "x"}, `unknown command "restart"`},
		{Command{Command: "stop"}, "name: missing or empty"},
		{Command{Command: "stop", Name: "x", Cmd: "a"}, "stop: has fields of a start"},
		{Command{Command: "start", Name: "x"}, "cmd: empty"},
		{Command{Command: "start", Name: "x", Cmd: " \t"}, "cmd: empty"},
		{Command{Command: "start", Name: "x", Argv: []string{}}, "cmd: empty array"},
		{Command{Command: "start", Name: "x", Argv: []string{"", "a"}}, "cmd: empty array"},
		{Command{Command: "start", Name: "x", Cmd: "a", Argv: []string{"a"}}, "cmd: both a string and an array"},
		{Command{Command: "start", Name: "x", Cmd: "a", Env: map[string]string{"A=B": "c"}}, `env: invalid variable name "A=B"`},
		{Command{Command: "start", Name: "x", Cmd: "a", Env: map[string]string{"": "c"}}, `env: invalid variable name ""`},
		{Command{Command: "start", Name: "x", Cmd: "a", Env: map[string]string{"A": "c\x00"}}, "env A: NUL byte in value"},
	} {
		b, err := EncodeCommand(tc.c)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: got %q, %v, want an error with %q", tc.c, b, err, tc.want)
		}
	}
	_, err := ParseCommand([]byte(`{"command":"start","name":"x","cmd":"a","env":{"A":"c\u0000"}}`))
	if err == nil || !strings.Contains(err.Error(), "env A: NUL byte in value") {
		t.Errorf("NUL in an env value: %v", err)
	}
}

// cfkd sends a command that is not valid UTF-8 (the language allows it) as
// it always did: each bad byte becomes U+FFFD, escaped as \ufffd.
func TestEncodeCommandInvalidUTF8(t *testing.T) {
	b, err := EncodeCommand(Command{Command: "start", Name: "s", Cmd: "echo \xff", Env: map[string]string{"K": "\xfe"}})
	want := `{"command":"start","name":"s","cmd":"echo \ufffd","env":{"K":"\ufffd"},"ignore_stdout":false,"ignore_stderr":false,"tie_stdin_to":null,"no_new_session":false}` + "\n"
	if err != nil || string(b) != want {
		t.Errorf("got %q, %v\nwant %q", b, err, want)
	}
}

// A line a proxy would drop (longer than MaxCommandLine, its "\n"
// included) is never made; one of exactly that length is.
func TestEncodeCommandRefusesALineAProxyDrops(t *testing.T) {
	start := Command{Command: CommandStart, Name: "s", Cmd: "sleep 1", Env: map[string]string{"V": ""}}
	line, err := EncodeCommand(start)
	if err != nil {
		t.Fatal(err)
	}
	start.Env["V"] = strings.Repeat("x", MaxCommandLine-len(line))
	if line, err := EncodeCommand(start); err != nil || len(line) != MaxCommandLine {
		t.Fatalf("a line of %d bytes: %v", len(line), err)
	}
	start.Env["V"] += "x"
	_, err = EncodeCommand(start)
	if want := "the start line of 's' is 1048577 bytes, more than the 1048576 a proxy reads (its environment is too large)"; err == nil || err.Error() != want {
		t.Fatalf("err %v, want %q", err, want)
	}
}
