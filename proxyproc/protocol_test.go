package proxyproc

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

func TestStatusLines(t *testing.T) {
	for _, tc := range []struct {
		s    Status
		want string
	}{
		{Status{Status: "started", Name: "web<1>", Pid: 1234}, `{"status":"started","name":"web<1>","pid":1234}`},
		{Status{Status: "stopped", Name: "web", Pid: 1234, ExitStatus: 0}, `{"status":"stopped","name":"web","pid":1234,"exit_status":0}`},
		{Status{Status: "stopped", Name: "web", Pid: 1234, ExitStatus: 256}, `{"status":"stopped","name":"web","pid":1234,"exit_status":256}`},
	} {
		b := EncodeStatus(tc.s)
		if string(b) != tc.want+"\n" {
			t.Errorf("got %q, want %q", b, tc.want+"\n")
		}
		got, err := ParseStatus(b)
		if err != nil || got != tc.s {
			t.Errorf("%s: parsed back %+v, %v", b, got, err)
		}
	}
	// the original proxy sent exit_status null with started, keys in any order
	got, err := ParseStatus([]byte(`{"pid":7,"exit_status":null,"name":"s","status":"started"}`))
	if err != nil || got != (Status{Status: "started", Name: "s", Pid: 7}) {
		t.Errorf("original started: %+v, %v", got, err)
	}
	for _, bad := range []string{`{}`, `{"status":"gone","name":"s"}`, `{"status":"stopped","name":"s","pid":1}`, `{"status":"started"}`, `x`} {
		if _, err := ParseStatus([]byte(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestLogLines(t *testing.T) {
	b := appendLogLine(nil, "out", "web", []byte("a: b\nc"))
	if string(b) != "out:web:a: b c\n" {
		t.Errorf("got %q", b)
	}
	l, err := ParseLogLine("err:-:parse error: x:y")
	if err != nil || l != (LogLine{Type: "err", Service: "-", Message: "parse error: x:y"}) {
		t.Errorf("got %+v, %v", l, err)
	}
	if _, err := ParseLogLine("out:nocolon"); err == nil {
		t.Error("no error for a line with one colon")
	}
}

func TestChildEnv(t *testing.T) {
	base := []string{"PATH=/bin", "_CFK_COMMAND_FD=3", "_CFK_SOCK_web=6", "FOO=old", "CONTROL_FREAK_SERVICE=stale", "BAD"}
	got := ChildEnv(base, map[string]string{"FOO": "new", "BAR": "1"}, "svc")
	want := []string{"PATH=/bin", "FOO=new", "CONTROL_FREAK_SERVICE=svc", "BAR=1", "CONTROL_FREAK_ENABLED=1"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}
