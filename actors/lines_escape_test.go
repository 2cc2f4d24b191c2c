package actors

import (
	"slices"
	"strings"
	"testing"
)

// The status, desc and sockets lines quote what was declared (a desc, a
// command, a socket's path): their control bytes are written \xNN, as an
// error's are, so that a raw client (socat, nc) reading `command desc`
// gets no escape sequence that sets its terminal's title or clears it;
// printable text, UTF-8 included, is kept byte for byte (compat), tabs
// between fields too (REFERENCE §1.5, §1.6).
func TestLinesEscapeControlBytes(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.ok("service a cmd=sleep 100\x1b[2J", "service a desc=x\x1b]0;pwned\x07y \u202eé",
		"service b cmd=sleep 100", "service b desc=été\u00a0<ok> 日\u3000本",
		"socket s host=unix/", "socket s service=/tmp/x\x1by")
	r.okDone("command start service a", 1)
	r.expectSeq("a", starting, running)
	want := []string{
		"a\t\tx\\x1b]0;pwned\\x07y \\xe2\\x80\\xaeé\t\tsleep 100\\x1b[2J",
		"b\t\tété\u00a0<ok> 日\u3000本\t\tsleep 100",
	}
	if got := r.ok("command desc"); !slices.Equal(got, want) {
		t.Errorf("desc:\n%q\nwant\n%q", got, want)
	}
	for _, verb := range []string{"command status", "command status service a"} {
		got := r.ok(verb)
		if !strings.HasSuffix(got[0], " sleep 100\\x1b[2J") || strings.ContainsAny(strings.Join(got, "\n"), "\x1b\x07") {
			t.Errorf("%s: %q, want its running_cmd escaped", verb, got)
		}
	}
	if got, want := r.ok("command sockets"), []string{"s\tunix/\t/tmp/x\\x1by\tunbound\t"}; !slices.Equal(got, want) {
		t.Errorf("sockets: %q, want %q", got, want)
	}
}
