package proxywire

import (
	"strings"
	"testing"
)

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
	for _, bad := range []string{`{}`, `{"status":"gone","name":"s"}`, `{"status":"started"}`, `x`} {
		if _, err := ParseStatus([]byte(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestParseStatus(t *testing.T) {
	got, err := ParseStatus([]byte(`{"status":"started","name":"s","pid":12}`))
	if err != nil || got != (Status{Status: StatusStarted, Name: "s", Pid: 12}) {
		t.Fatalf("started: %+v %v", got, err)
	}
	got, err = ParseStatus([]byte(`{"name":"s","status":"stopped","pid":12,"exit_status":256}`))
	if err != nil || got != (Status{Status: StatusStopped, Name: "s", Pid: 12, ExitStatus: 256}) {
		t.Fatalf("stopped: %+v %v", got, err)
	}
	for _, bad := range []string{`{"status":"started","name":"s"}`, `{"status":"stopped","name":"s"}`,
		`{"status":"weird","name":"s","pid":3}`, `not json`, `{"status":"started","pid":3}`} {
		if _, err := ParseStatus([]byte(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

// The checks that only one of the two former parsers made, and the pid
// range: each line is refused, and says why.
func TestParseStatusStrict(t *testing.T) {
	for _, tc := range []struct{ line, want string }{
		{`{"status":"started","name":"s","pid":0}`, "pid 0 is not a process id"},
		{`{"status":"stopped","name":"s","pid":-1,"exit_status":0}`, "pid -1 is not a process id"},
		{`{"status":"started","name":"s","pid":4294967295}`, "pid 4294967295 is not a process id"},
		{`{"status":"started","name":"s","pid":null}`, "no pid"},
		{`{"status":"started","name":"s","pid":"12x"}`, `pid: want an integer or a string of decimal digits, got "12x"`},
		{`{"status":"started","name":"s","pid":1.5}`, "pid: want an integer, got 1.5"},
		{`{"Status":"started","name":"s","pid":1}`, `unknown status ""`},
		{`{"status":"started","NAME":"s","pid":1}`, "no name"},
		{`{"status":"started","name":"s","pid":1,"exit_status":"x"}`, `exit_status: want an integer, got "x"`},
		{`{"status":"started","name":"s","pid":1,"exit_status":true}`, `exit_status: want an integer, got true`},
		{`null`, "not a JSON object"},
		{`[1]`, "invalid JSON"},
	} {
		_, err := ParseStatus([]byte(tc.line))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error with %q", tc.line, err, tc.want)
		}
	}
	// what the Python proxy and the original Perl one write
	for _, ok := range []string{
		`{"status": "stopped", "name": "w1", "pid": 2147483647, "exit_status": 9}` + "\n",
		`{"exit_status":null,"pid":7,"name":"s","status":"started","extra":[1]}`,
	} {
		if _, err := ParseStatus([]byte(ok)); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}
