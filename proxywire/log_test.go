package proxywire

import (
	"strings"
	"testing"
)

func TestLogLines(t *testing.T) {
	b := appendLogLine(nil, "out", "web", []byte("a: b\nc"))
	if string(b) != "out:web:a: b c\n" {
		t.Errorf("got %q", b)
	}
	l, err := ParseLogLine("err:-:parse error: x:y")
	if err != nil || l != (LogLine{Stream: "err", Service: "-", Message: "parse error: x:y"}) {
		t.Errorf("got %+v, %v", l, err)
	}
	if _, err := ParseLogLine("out:nocolon"); err == nil {
		t.Error("no error for a line with one colon")
	}
}

func TestSplitLogLine(t *testing.T) {
	for _, tc := range []struct {
		msg  string
		max  int
		want []string
	}{
		{"", 100, []string{"out:a:\n"}},
		{"hello", 100, []string{"out:a:hello\n"}},
		{strings.Repeat("z", 100-7), 100, []string{"out:a:" + strings.Repeat("z", 93) + "\n"}},
		{strings.Repeat("z", 100-6), 100, []string{"out:a:" + strings.Repeat("z", 93) + "\n", "out:a:z\n"}},
	} {
		got := splitLogLine("out", "a", []byte(tc.msg), tc.max)
		var gs []string
		for _, b := range got {
			gs = append(gs, string(b))
			if len(b) > tc.max {
				t.Errorf("%q: a line of %d bytes, max %d", tc.msg, len(b), tc.max)
			}
		}
		if strings.Join(gs, "|") != strings.Join(tc.want, "|") {
			t.Errorf("splitLogLine(%q, %d) = %q, want %q", tc.msg, tc.max, gs, tc.want)
		}
	}
}

// cfkd logs under service.NAME.TYPE: a line whose type or name would make
// another category is refused.
func TestParseLogLineStrict(t *testing.T) {
	for _, bad := range []string{"info:web:x", ":web:x", "out:9web:x", "out::x", "out:a b:x", "out:a.b:x", "err:--:x"} {
		if l, err := ParseLogLine(bad); err == nil {
			t.Errorf("%q: accepted as %+v", bad, l)
		}
	}
	l, err := ParseLogLine("out:web_1-a::")
	if err != nil || l != (LogLine{Stream: StreamOut, Service: "web_1-a", Message: ":"}) {
		t.Errorf("got %+v, %v", l, err)
	}
}

func TestEncodeLog(t *testing.T) {
	long := strings.Repeat("é", PipeBuf) // 2 bytes each
	lines := EncodeLog(StreamErr, "svc", []byte(long))
	var back strings.Builder
	for _, b := range lines {
		if len(b) > PipeBuf || !strings.HasSuffix(string(b), "\n") || strings.Count(string(b), "\n") != 1 {
			t.Fatalf("line of %d bytes: ...%q", len(b), b[max(0, len(b)-10):])
		}
		l, err := ParseLogLine(strings.TrimSuffix(string(b), "\n"))
		if err != nil || l.Stream != StreamErr || l.Service != "svc" {
			t.Fatalf("%q...: %+v %v", b[:20], l, err)
		}
		back.WriteString(l.Message)
	}
	if len(lines) != 3 || back.String() != long {
		t.Errorf("%d lines, message back %d bytes, want 3 lines and %d bytes", len(lines), back.Len(), len(long))
	}
}

// LogRoom is the text of one log line of PipeBuf bytes: a message that
// long is one line, filling PipeBuf with its prefix and "\n", one byte
// more is two.
func TestLogRoom(t *testing.T) {
	for _, name := range []string{"s", "web-frontend", SelfName} {
		room := LogRoom(StreamOut, name)
		if want := PipeBuf - len("out::\n") - len(name); room != want {
			t.Errorf("LogRoom(out, %q) = %d, want %d", name, room, want)
		}
		msg := strings.Repeat("x", room)
		if got := EncodeLog(StreamOut, name, []byte(msg)); len(got) != 1 || len(got[0]) != PipeBuf {
			t.Errorf("%d bytes for %q: %d lines, want one of %d bytes", room, name, len(got), PipeBuf)
		}
		if got := EncodeLog(StreamErr, name, []byte(msg+"x")); len(got) != 2 {
			t.Errorf("%d bytes for %q: %d lines, want 2", room+1, name, len(got))
		}
	}
}
