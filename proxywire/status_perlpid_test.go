package proxywire

import (
	"strings"
	"testing"
)

// TestParseStatusPerlStringPid checks that ParseStatus takes a pid sent as
// a JSON string of decimal digits, as the original Perl proxy
// (ControlFreak::Proxy::Process) writes it when it reports the exit of a
// child reaped before fork returned (the pid is a hash key, a Perl string,
// which JSON::XS encodes as a string): refusing it would lose that exit.
// Any other string is still refused, with an error that says why.
func TestParseStatusPerlStringPid(t *testing.T) {
	for _, tc := range []struct {
		line string
		want Status
	}{
		{`{"exit_status":256,"pid":"4242","name":"s","status":"stopped"}`, Status{Status: StatusStopped, Name: "s", Pid: 4242, ExitStatus: 256}},
		{`{"status":"started","name":"s","pid":"2147483647"}`, Status{Status: StatusStarted, Name: "s", Pid: 2147483647}},
		{`{"status":"started","name":"s","pid":"007"}`, Status{Status: StatusStarted, Name: "s", Pid: 7}},
	} {
		got, err := ParseStatus([]byte(tc.line))
		if err != nil || got != tc.want {
			t.Errorf("%s: got %+v, %v; want %+v", tc.line, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ line, want string }{
		{`{"status":"started","name":"s","pid":""}`, `pid: want an integer or a string of decimal digits, got ""`},
		{`{"status":"started","name":"s","pid":"12x"}`, `pid: want an integer or a string of decimal digits, got "12x"`},
		{`{"status":"started","name":"s","pid":"-12"}`, `got "-12"`},
		{`{"status":"started","name":"s","pid":"+12"}`, `got "+12"`},
		{`{"status":"started","name":"s","pid":" 12"}`, `got " 12"`},
		{`{"status":"started","name":"s","pid":"1e3"}`, `got "1e3"`},
		{`{"status":"started","name":"s","pid":"1.0"}`, `got "1.0"`},
		{`{"status":"started","name":"s","pid":"\uff11"}`, `want an integer or a string of decimal digits`},
		{`{"status":"started","name":"s","pid":"0"}`, "pid 0 is not a process id"},
		{`{"status":"started","name":"s","pid":"4294967295"}`, "pid 4294967295 is not a process id"},
		{`{"status":"started","name":"s","pid":"99999999999999999999999"}`, `pid "99999999999999999999999" is not a process id`},
	} {
		_, err := ParseStatus([]byte(tc.line))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error with %q", tc.line, err, tc.want)
		}
	}
}
