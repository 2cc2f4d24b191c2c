package proxyproc

import "testing"

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
			return // e.g. invalid UTF-8 replaced: not encodable as it was
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
