package proxywire

import (
	"strings"
	"syscall"
	"testing"
)

// TestStatusNoEnd: a stopped line whose exit_status is no wait(2) status
// of a process's end still parses (the proxy says the process ended: a
// line dropped would leave its service running for ever), and NoEnd says
// why it is none; every status a process's end has is one.
func TestStatusNoEnd(t *testing.T) {
	for _, tc := range []struct {
		ws   int
		want string
	}{
		{-5, "exit_status -5 is no process's end (negative)"},
		{65536, "exit_status 65536 is no process's end (more than 16 bits)"},
		{99999999999, "exit_status 99999999999 is no process's end (more than 16 bits)"},
		{4991, "exit_status 4991 is no process's end (a stopped process's)"},
		{0x7f, "(a stopped process's)"},
		{0xffff, "exit_status 65535 is no process's end (a continued process's)"},
		{0x180, "(an exit with the core dump flag)"},
		{0x109, "(a signal's with an exit code)"},
		{MaxSignal + 1, "which no process ends by here"},
		{0x80 | 0x7e, "which no process ends by here"},
	} {
		line := EncodeStatus(Status{Status: StatusStopped, Name: "s", Pid: 12, ExitStatus: tc.ws})
		s, err := ParseStatus(line)
		if err != nil || s.ExitStatus != tc.ws {
			t.Errorf("%s: refused or changed: %+v, %v", line, s, err)
			continue
		}
		if err := s.NoEnd(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: NoEnd %v, want %q", line, err, tc.want)
		}
	}
	// every end there is: exits 0 to 255, signals 1 to MaxSignal, with
	// the core dump flag or not
	var ends []int
	for code := 0; code <= 255; code++ {
		ends = append(ends, code<<8)
	}
	for sig := 1; sig <= MaxSignal; sig++ {
		ends = append(ends, sig, sig|0x80)
	}
	for _, ws := range ends {
		w := syscall.WaitStatus(ws)
		if !w.Exited() && !w.Signaled() {
			t.Fatalf("%#x is not an end to syscall either", ws)
		}
		if err := (Status{Status: StatusStopped, Name: "s", Pid: 1, ExitStatus: ws}).NoEnd(); err != nil {
			t.Errorf("%#x: %v", ws, err)
		}
	}
	// a started has no exit status to be wrong
	if err := (Status{Status: StatusStarted, Name: "s", Pid: 1, ExitStatus: -5}).NoEnd(); err != nil {
		t.Errorf("started: %v", err)
	}
}

// TestStatusNonIntegerExit: a stopped whose exit_status is a number no
// int holds, or not written as an integer, is taken too (it was refused,
// the line dropped, and its service ran for ever), kept as sent so that
// it encodes back as it came; a started's, or an exit_status that is no
// number, is still refused.
func TestStatusNonIntegerExit(t *testing.T) {
	for _, tc := range []struct{ raw, want string }{
		{"99999999999999999999", "exit_status 99999999999999999999 is no process's end (more than 16 bits)"},
		{"-99999999999999999999", "(more than 16 bits)"},
		{"1.5", "exit_status 1.5 is no process's end (not written as an integer)"},
		{"1e30", "(not written as an integer)"},
		{strings.Repeat("9", 100), "exit_status " + strings.Repeat("9", 40) + "... is no process's end"},
	} {
		keptAsSent(t, `{"status":"stopped","name":"s","pid":12,"exit_status":`+tc.raw+`}`, tc.raw, tc.want)
	}
	bad := `{"status":"started","name":"s","pid":12,"exit_status":1.5}`
	if s, err := ParseStatus([]byte(bad)); err == nil {
		t.Errorf("%s: taken as %+v", bad, s)
	}
}

// TestStatusExitNoNumber: a stopped whose exit_status is missing, null, a
// string or another value that is no number is taken too, the proxy
// saying the process ended (it was refused, the line dropped, and its
// service ran for ever); a string of decimal digits is its value (the
// original Perl proxy may send a number as a string, as its pids), any
// other is no end and kept as sent, so that it encodes back as it came.
func TestStatusExitNoNumber(t *testing.T) {
	const head = `{"status":"stopped","name":"s","pid":12`
	for _, tc := range []struct{ tail, kept, want string }{
		{`}`, "null", "no exit_status (absent or null)"},
		{`,"exit_status":null}`, "null", "no exit_status (absent or null)"},
		{`,"exit_status":"abc"}`, `"abc"`, `exit_status "abc" is no process's end (a string, not of decimal digits)`},
		{`,"exit_status":"-5"}`, `"-5"`, `exit_status "-5" is no process's end (a string, not of decimal digits)`},
		{`,"exit_status":""}`, `""`, `exit_status "" is no process's end (a string, not of decimal digits)`},
		{`,"exit_status":" 256"}`, `" 256"`, `(a string, not of decimal digits)`},
		{`,"exit_status":"99999999999999999999"}`, `"99999999999999999999"`, `exit_status "99999999999999999999" is no process's end (more than 16 bits)`},
		{`,"exit_status":true}`, "true", "exit_status true is no process's end (not a number)"},
		{`,"exit_status":[ 1, 2 ]}`, "[1,2]", "exit_status [1,2] is no process's end (not a number)"},
		{`,"exit_status":{"a":` + strings.Repeat("1", 60) + `}}`, `{"a":` + strings.Repeat("1", 60) + `}`,
			`exit_status {"a":` + strings.Repeat("1", 35) + `... is no process's end (not a number)`},
	} {
		keptAsSent(t, head+tc.tail, tc.kept, tc.want)
	}
	for _, tc := range []struct {
		raw string
		ws  int
	}{{`"256"`, 256}, {`"0"`, 0}, {`"015"`, 15}, {`"65536"`, 65536}} {
		line := head + `,"exit_status":` + tc.raw + `}`
		s, err := ParseStatus([]byte(line))
		if err != nil || s != (Status{Status: StatusStopped, Name: "s", Pid: 12, ExitStatus: tc.ws}) {
			t.Errorf("%s: %+v, %v", line, s, err)
		}
	}
	if err := (Status{Status: StatusStopped, Name: "s", Pid: 12, ExitStatus: 65536}).NoEnd(); err == nil {
		t.Error(`"65536": an end`)
	}
}

// keptAsSent checks that the stopped line is taken, its exit_status kept
// as kept (no wait status), that NoEnd says why it is no end (its error
// holding want), and that it encodes back as it came.
func keptAsSent(t *testing.T, line, kept, want string) {
	t.Helper()
	s, err := ParseStatus([]byte(line))
	if err != nil || s.NonInteger != kept || s.ExitStatus != 0 {
		t.Errorf("%s: %+v, %v", line, s, err)
		return
	}
	if err := s.NoEnd(); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("%s: NoEnd %v, want %q", line, err, want)
	}
	if back, err := ParseStatus(EncodeStatus(s)); err != nil || back != s {
		t.Errorf("%s: encoded back as %q: %+v, %v", line, EncodeStatus(s), back, err)
	}
}
