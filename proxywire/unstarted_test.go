package proxywire

import "testing"

// TestParseStatusUnstarted checks that ParseUnstarted recognises exactly
// cfk-proxy's last-resort line for a start it could not run (stopped, pid
// 0), which ParseStatus refuses.
func TestParseStatusUnstarted(t *testing.T) {
	line := EncodeStatus(Status{Status: StatusStopped, Name: "s", Pid: 0, ExitStatus: 127 << 8})
	if _, err := ParseStatus(line); err == nil {
		t.Fatalf("%s: ParseStatus accepted it", line)
	}
	if name, ok := ParseUnstarted(line); !ok || name != "s" {
		t.Fatalf("%s: got %q, %v", line, name, ok)
	}
	for _, bad := range []string{
		`{"status":"stopped","name":"s","pid":1,"exit_status":0}`,
		`{"status":"started","name":"s","pid":0}`,
		`{"status":"stopped","name":"","pid":0,"exit_status":0}`,
		`{"status":"stopped","name":"s","pid":null,"exit_status":0}`,
		`{"status":"stopped","name":"s","pid":0}`,
		`{"status":"stopped","name":"s","pid":"0","exit_status":0}`,
		`not json`,
	} {
		if name, ok := ParseUnstarted([]byte(bad)); ok {
			t.Errorf("%s: accepted (%q)", bad, name)
		}
	}
}
