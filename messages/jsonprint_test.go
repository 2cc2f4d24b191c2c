package messages

import (
	"strings"
	"testing"
	"time"
)

// An event or inspect line quoting a value that holds a character a
// terminal acts on (a warning naming a command, a desc, a last_error)
// writes it \uXXXX, as JSON does a control character below U+0020: DEL,
// the C1 controls (U+009B is CSI) and the bidirectional overrides went
// raw to a raw client (socat, nc). The value read back is the same;
// printable text, UTF-8 included, is written as it is (REFERENCE §1.5).
func TestJSONLinesEscapeWhatIsNotPrintable(t *testing.T) {
	const value = "exec /srv/\x1b]0;t\x07 \x7f\u009b31m\u202eé\U0001F600\u2028"
	const want = `exec /srv/\u001b]0;t\u0007 \u007f\u009b31m\u202eé` + "\U0001F600" + `\u2028`
	e := Event{Kind: EventCfkd, Time: time.Unix(1763738153, 0), Service: "s", Level: "warn", Message: value}
	line := e.Format()
	if !strings.Contains(line, `"message":"`+want+`"`) {
		t.Errorf("event line %q, want its message %q", line, want)
	}
	if back, err := ParseEvent(line); err != nil || back.Message != value {
		t.Errorf("%q reads back %q, %v", line, back.Message, err)
	}
	i := NewServiceInfo(StatusLine{Name: "s", State: Stopped}, DescLine{Name: "s", Desc: value})
	i.LastError = value
	line = i.Format()
	if !strings.Contains(line, `"last_error":"`+want+`"`) || !strings.Contains(line, `"desc":"`+want+`"`) {
		t.Errorf("inspect line %q, want its last_error and desc %q", line, want)
	}
	if back, err := ParseServiceInfo(line); err != nil || back.LastError != value || back.Desc != value {
		t.Errorf("%q reads back %q %q, %v", line, back.LastError, back.Desc, err)
	}
	for _, l := range []string{e.Format(), i.Format()} {
		for _, r := range l {
			if r == 0x7f || r >= 0x80 && r < 0xa0 || r == '\u202e' || r == '\u2028' || r < ' ' {
				t.Errorf("%q holds %U raw", l, r)
			}
		}
	}
}

// An event appended to lines of the caller's escapes only itself: the
// lines before it, a service's output in a tail stream (REFERENCE §1.5),
// are the service's own, raw, and were escaped along with the event when
// a lost line was added to them.
func TestEventAppendKeepsWhatItIsAppendedTo(t *testing.T) {
	t.Parallel()
	before := "raw \u00ad \u0085 \u202e\n"
	got := string(LostEvent(3).Append([]byte(before)))
	if !strings.HasPrefix(got, before) {
		t.Fatalf("appended to %q: %q, want those lines kept", before, got)
	}
	if ev := got[len(before):]; ev != LostEvent(3).Format() {
		t.Fatalf("the event appended: %q, want %q", ev, LostEvent(3).Format())
	}
}
