package protocol

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/cfk/cfk/messages"
)

// readAllRequests reads requests until an error other than ErrLineTooLong,
// noting ErrLineTooLong as the line "<too long>".
func readAllRequests(t *testing.T, r *bufio.Reader) ([]string, error) {
	t.Helper()
	var got []string
	for i := 0; ; i++ {
		if i > 1000 {
			t.Fatal("ReadRequest does not make progress")
		}
		line, err := ReadRequest(r)
		switch {
		case errors.Is(err, ErrLineTooLong):
			got = append(got, "<too long>")
		case err != nil:
			return got, err
		default:
			got = append(got, line)
		}
	}
}

func TestReadRequest(t *testing.T) {
	long := strings.Repeat("x", MaxLine)
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty stream", "", nil},
		{"crlf", "command status\r\n", []string{"command status"}},
		{"bare lf", "command status\n", []string{"command status"}},
		{"mixed", "a\r\nb\nc\r\n", []string{"a", "b", "c"}},
		{"empty lines", "\r\n\n", []string{"", ""}},
		{"last line without newline", "a\r\nexit", []string{"a", "exit"}},
		{"last line is a lone cr", "\r", []string{"\r"}},
		{"inner cr kept", "a\rb\r\n", []string{"a\rb"}},
		{"only one cr stripped", "a\r\r\n", []string{"a\r"}},
		{"tabs and spaces kept", " \ta b\t \r\n", []string{" \ta b\t "}},
		{"binary", "\x00\xff\r\n", []string{"\x00\xff"}},
		{"max length lf", long + "\n", []string{long}},
		{"max length crlf", long + "\r\n", []string{long}},
		{"max length at eof", long, []string{long}},
		{"one too long lf", long + "x\n" + "next\r\n", []string{"<too long>", "next"}},
		{"one too long crlf", long + "x\r\n" + "next\r\n", []string{"<too long>", "next"}},
		{"way too long then usable", strings.Repeat("y", 5*MaxLine) + "\r\nexit\r\n", []string{"<too long>", "exit"}},
		{"too long at eof", long + "xy", []string{"<too long>"}},
		{"cr then eof on a max line", long + "\r", []string{"<too long>"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// A small buffer exercises lines that span many reads.
			for _, size := range []int{16, 4096, 2 * MaxLine} {
				r := bufio.NewReaderSize(strings.NewReader(tc.in), size)
				got, err := readAllRequests(t, r)
				if err != io.EOF {
					t.Fatalf("size %d: ended with %v, want io.EOF", size, err)
				}
				if !reflect.DeepEqual(got, tc.want) {
					t.Fatalf("size %d: got %q, want %q", size, short(got), short(tc.want))
				}
			}
		})
	}
}

func TestReadRequestOneByteAtATime(t *testing.T) {
	r := bufio.NewReaderSize(iotest.OneByteReader(strings.NewReader("a b\r\nc\n")), 16)
	got, err := readAllRequests(t, r)
	if err != io.EOF || !reflect.DeepEqual(got, []string{"a b", "c"}) {
		t.Fatalf("got %q, %v", got, err)
	}
}

func TestReadRequestReaderError(t *testing.T) {
	boom := errors.New("boom")
	r := bufio.NewReader(io.MultiReader(strings.NewReader("ok\r\npart"), iotest.ErrReader(boom)))
	if line, err := ReadRequest(r); line != "ok" || err != nil {
		t.Fatalf("first: %q, %v", line, err)
	}
	if _, err := ReadRequest(r); !errors.Is(err, boom) {
		t.Fatalf("second: %v, want boom", err)
	}
}

func TestWriteRequest(t *testing.T) {
	tests := []struct {
		line    string
		want    string
		wantErr error
	}{
		{"command status", "command status\r\n", nil},
		{"", "\r\n", nil},
		{"exit", "exit\r\n", nil},
		{"a\tb", "a\tb\r\n", nil},
		{strings.Repeat("x", MaxLine), strings.Repeat("x", MaxLine) + "\r\n", nil},
		{strings.Repeat("x", MaxLine+1), "", ErrLineTooLong},
		{"a\nb", "", ErrBadRequest},
		{"\r\n", "", ErrBadRequest},
		// A "\r" comes back whole: ReadRequest drops one "\r" before the
		// "\n" only. A config line may hold one (cfkd -c takes it).
		{"a\r", "a\r\r\n", nil},
		{"service a desc=x\ry", "service a desc=x\ry\r\n", nil},
		{strings.Repeat("x", MaxLine-1) + "\r", strings.Repeat("x", MaxLine-1) + "\r\r\n", nil},
	}
	for _, tc := range tests {
		var b bytes.Buffer
		err := WriteRequest(&b, tc.line)
		if !errors.Is(err, tc.wantErr) || b.String() != tc.want {
			t.Errorf("WriteRequest(%.20q) wrote %.20q, %v; want %.20q, %v", tc.line, b.String(), err, tc.want, tc.wantErr)
			continue
		}
		if err == nil {
			if got, err := ReadRequest(bufio.NewReader(&b)); err != nil || got != tc.line {
				t.Errorf("ReadRequest(WriteRequest(%.20q)) = %.20q, %v", tc.line, got, err)
			}
		}
	}
}

func TestWriteRequestWriterError(t *testing.T) {
	boom := errors.New("boom")
	if err := WriteRequest(errWriter{boom}, "x"); !errors.Is(err, boom) {
		t.Fatalf("got %v, want boom", err)
	}
	if err := WriteReply(errWriter{boom}, messages.Reply{}); !errors.Is(err, boom) {
		t.Fatalf("got %v, want boom", err)
	}
}

type errWriter struct{ err error }

func (w errWriter) Write([]byte) (int, error) { return 0, w.err }

func TestWriteReply(t *testing.T) {
	tests := []struct {
		name string
		rep  messages.Reply
		want string
	}{
		{"empty ok", messages.Reply{}, "OK\r\n"},
		{"empty slice ok", messages.Reply{Lines: []string{}}, "OK\r\n"},
		{"body", messages.Reply{Lines: []string{"done 1"}}, "done 1\nOK\r\n"},
		{"two lines", messages.Reply{Lines: []string{"a\tb", "c"}}, "a\tb\nc\nOK\r\n"},
		{"empty body line", messages.Reply{Lines: []string{""}}, "\nOK\r\n"},
		{"body line OK", messages.Reply{Lines: []string{"OK"}}, "OK\nOK\r\n"},
		{"error", messages.ErrorReply(errors.New("command is void")), "ERROR: command is void\r\n"},
		{"error drops body", messages.Reply{Lines: []string{"x"}, Err: errors.New("e")}, "ERROR: e\r\n"},
		{"empty error", messages.ErrorReply(errors.New("")), "ERROR: \r\n"},
		{"sanitised body", messages.Reply{Lines: []string{"a\r\nOK\r", "b\nERROR: x"}}, "a  OK \nb ERROR: x\nOK\r\n"},
		{"sanitised error", messages.ErrorReply(errors.New("bad\r\nOK")), "ERROR: bad  OK\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteReply(&b, tc.rep); err != nil {
				t.Fatal(err)
			}
			if b.String() != tc.want {
				t.Fatalf("wrote %q, want %q", b.String(), tc.want)
			}
			if got := string(AppendReply([]byte("pre"), tc.rep)); got != "pre"+tc.want {
				t.Fatalf("AppendReply: %q", got)
			}
		})
	}
}

func TestReadReply(t *testing.T) {
	type want struct {
		lines []string
		err   string // the RemoteError message, "" for OK
		isErr bool
	}
	tests := []struct {
		name  string
		in    string
		wants []want
	}{
		{"empty ok", "OK\r\n", []want{{}}},
		{"body", "done 1\nOK\r\n", []want{{lines: []string{"done 1"}}}},
		{"status lines", "svc1\trunning\t42\t\t\t\t\t\nsvc2\tstopped\nOK\r\n",
			[]want{{lines: []string{"svc1\trunning\t42\t\t\t\t\t", "svc2\tstopped"}}}},
		{"empty body line", "\n\nOK\r\n", []want{{lines: []string{"", ""}}}},
		{"body line OK stays body", "OK\nOK\r\n", []want{{lines: []string{"OK"}}}},
		{"body line ERROR stays body", "ERROR: Service 'ERROR' is already up\nOK\r\n",
			[]want{{lines: []string{"ERROR: Service 'ERROR' is already up"}}}},
		{"error", "ERROR: command is void\r\n", []want{{err: "command is void", isErr: true}}},
		{"error without space", "ERROR:x\r\n", []want{{err: "x", isErr: true}}},
		{"empty error", "ERROR: \r\n", []want{{err: "", isErr: true}}},
		{"error keeps inner spaces", "ERROR:  two  spaces \r\n", []want{{err: " two  spaces ", isErr: true}}},
		{"body before error is kept", "a\nERROR: e\r\n", []want{{lines: []string{"a"}, err: "e", isErr: true}}},
		{"crlf body line (lenient)", "a\r\nOK\r\n", []want{{lines: []string{"a"}}}},
		{"OK with trailing text is a body line", "OK then\r\nOK\r\n", []want{{lines: []string{"OK then"}}}},
		{"lowercase ok is a body line", "ok\r\nOK\r\n", []want{{lines: []string{"ok"}}}},
		{"several replies in a row", "OK\r\nx\nOK\r\nERROR: no\r\nOK\r\n",
			[]want{{}, {lines: []string{"x"}}, {err: "no", isErr: true}, {}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, size := range []int{16, 4096} {
				r := bufio.NewReaderSize(strings.NewReader(tc.in), size)
				for i, w := range tc.wants {
					rep, err := ReadReply(r)
					if err != nil {
						t.Fatalf("reply %d: %v", i, err)
					}
					if len(rep.Lines) != len(w.lines) || (len(w.lines) > 0 && !reflect.DeepEqual(rep.Lines, w.lines)) {
						t.Fatalf("reply %d: lines %q, want %q", i, rep.Lines, w.lines)
					}
					if (rep.Err != nil) != w.isErr {
						t.Fatalf("reply %d: err %v, want error %v", i, rep.Err, w.isErr)
					}
					if w.isErr {
						var re *RemoteError
						if !errors.As(rep.Err, &re) || re.Msg != w.err || rep.Err.Error() != w.err {
							t.Fatalf("reply %d: err %#v, want RemoteError %q", i, rep.Err, w.err)
						}
					}
				}
				if _, err := ReadReply(r); err != io.EOF {
					t.Fatalf("after the last reply: %v, want io.EOF", err)
				}
			}
		})
	}
}

func TestReadReplyErrors(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name string
		r    io.Reader
		want error
	}{
		{"eof at start", strings.NewReader(""), io.EOF},
		{"eof after a body line", strings.NewReader("done 1\n"), io.ErrUnexpectedEOF},
		{"eof mid line", strings.NewReader("done"), io.ErrUnexpectedEOF},
		{"eof mid terminator", strings.NewReader("OK\r"), io.ErrUnexpectedEOF},
		{"eof mid terminator 2", strings.NewReader("OK"), io.ErrUnexpectedEOF},
		{"bare lf OK is not a terminator", strings.NewReader("OK\n"), io.ErrUnexpectedEOF},
		{"bare lf ERROR is not a terminator", strings.NewReader("ERROR: x\n"), io.ErrUnexpectedEOF},
		{"body line too long", strings.NewReader(strings.Repeat("x", MaxReplyLine+1) + "\nOK\r\n"), ErrReplyLineTooLong},
		{"body line too long at eof", strings.NewReader(strings.Repeat("x", MaxReplyLine+2)), ErrReplyLineTooLong},
		{"reader error", io.MultiReader(strings.NewReader("a\n"), iotest.ErrReader(boom)), boom},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := ReadReply(bufio.NewReaderSize(tc.r, 64))
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, %v; want %v", rep, err, tc.want)
			}
			if rep.Lines != nil || rep.Err != nil {
				t.Fatalf("a failed read returned a reply: %#v", rep)
			}
		})
	}
}

func TestReadReplyMaxLine(t *testing.T) {
	long := strings.Repeat("x", MaxReplyLine)
	for _, in := range []string{long + "\nOK\r\n", long + "\r\nOK\r\n"} {
		rep, err := ReadReply(bufio.NewReader(strings.NewReader(in)))
		if err != nil || len(rep.Lines) != 1 || rep.Lines[0] != long {
			t.Fatalf("a line of MaxReplyLine bytes: %d lines, %v", len(rep.Lines), err)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	reps := []messages.Reply{
		{},
		{Lines: []string{"done 2", "web1: Service 'web1' is already up"}},
		{Lines: []string{"OK", "ERROR: not really", "", "\t"}},
		{Lines: []string{"multi\nline", "cr\rinside", "trailing cr\r"}},
		{Lines: []string{strings.Repeat("z", MaxLine*3)}},
		messages.ErrorReply(errors.New("Couldn't find a valid service. bailing.")),
		messages.ErrorReply(errors.New("two\nlines")),
	}
	var wire bytes.Buffer
	for _, rep := range reps {
		if err := WriteReply(&wire, rep); err != nil {
			t.Fatal(err)
		}
	}
	r := bufio.NewReaderSize(&wire, 16)
	for i, rep := range reps {
		got, err := ReadReply(r)
		if err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
		if err := sameReply(got, rep); err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
	}
	if _, err := ReadReply(r); err != io.EOF {
		t.Fatalf("at the end: %v", err)
	}
}

func TestRequestRoundTrip(t *testing.T) {
	lines := []string{"command status", "", " spaced ", "service x cmd=echo \"a b\" # c", "\x00\xff", strings.Repeat("q", MaxLine)}
	var wire bytes.Buffer
	for _, l := range lines {
		if err := WriteRequest(&wire, l); err != nil {
			t.Fatal(err)
		}
	}
	got, err := readAllRequests(t, bufio.NewReaderSize(&wire, 16))
	if err != io.EOF || !reflect.DeepEqual(got, lines) {
		t.Fatalf("got %q, %v", short(got), err)
	}
}

func TestSanitize(t *testing.T) {
	for in, want := range map[string]string{
		"":          "",
		"plain":     "plain",
		"a\nb":      "a b",
		"a\r\nb":    "a  b",
		"\r":        " ",
		"tab\tkept": "tab\tkept",
		"é\n":       "é ",
	} {
		if got := Sanitize(in); got != want {
			t.Errorf("Sanitize(%q) = %q, want %q", in, got, want)
		}
	}
}

// An error quoting a client's line gets its control bytes written \xNN,
// as a config file's errors do (a tab aside): they reached the terminal
// of a raw client (socat, nc) raw, an ESC sequence that clears it or sets
// its title. Printable text, UTF-8 included, is kept byte for byte
// (compat).
func TestErrorEscapesControlBytes(t *testing.T) {
	for in, want := range map[string]string{
		"malformed service command 'a b'":              "malformed service command 'a b'",
		"unknown command 'été'":                        "unknown command 'été'",
		"malformed service command '\x1b[31mred\x00x'": `malformed service command '\x1b[31mred\x00x'`,
		"unknown command 'a\tb\u202e'":                 "unknown command 'a\tb\\xe2\\x80\\xae'",
		"unknown command '\x1b]0;t\x07'":               `unknown command '\x1b]0;t\x07'`,
		"a\r\nb\tc\xff\x7f":                            "a  b\tc\\xff\\x7f",
	} {
		got := string(AppendReply(nil, messages.Reply{Err: errors.New(in)}))
		if got != "ERROR: "+want+"\r\n" {
			t.Errorf("the reply of error %q: %q, want %q", in, got, "ERROR: "+want+"\r\n")
		}
	}
}

// sameReply reports how got differs from want once want is sanitised the
// way WriteReply does it.
func sameReply(got, want messages.Reply) error {
	if want.Err != nil {
		var re *RemoteError
		if !errors.As(got.Err, &re) {
			return errors.New("want an error, got " + describe(got))
		}
		if re.Msg != SanitizeError(want.Err.Error()) {
			return errors.New("error " + strconvQuote(re.Msg) + ", want " + strconvQuote(SanitizeError(want.Err.Error())))
		}
		if len(got.Lines) != 0 {
			return errors.New("an error reply came with lines")
		}
		return nil
	}
	if got.Err != nil {
		return errors.New("unexpected error " + got.Err.Error())
	}
	if len(got.Lines) != len(want.Lines) {
		return errors.New("got " + describe(got))
	}
	for i := range want.Lines {
		if got.Lines[i] != Sanitize(want.Lines[i]) {
			return errors.New("line " + strconvQuote(got.Lines[i]) + ", want " + strconvQuote(Sanitize(want.Lines[i])))
		}
	}
	return nil
}

func describe(r messages.Reply) string {
	return strconvQuote(strings.Join(r.Lines, "|")) + " err=" + strconvQuote(errString(r.Err))
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

func strconvQuote(s string) string {
	if len(s) > 60 {
		s = s[:60] + "..."
	}
	return `"` + strings.ReplaceAll(s, "\n", `\n`) + `"`
}

// short abbreviates long lines for failure messages.
func short(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		if len(l) > 40 {
			l = l[:20] + "..." + l[len(l)-10:]
		}
		out[i] = l
	}
	return out
}

// Sanitize replaced CR and LF through strings.Map, which turned each byte
// of invalid UTF-8 into U+FFFD: `cfkctl tail` of a line with a bare "\r"
// and Latin-1 text showed EF BF BD where the service wrote FF.
func TestSanitizeKeepsTheOtherBytes(t *testing.T) {
	if got := Sanitize("a\xffb\rc\nd"); got != "a\xffb c d" {
		t.Fatalf("%q", got)
	}
}

// The longest inspect line cfkd can write, every value that came in a
// request line as long as a request line allows and as costly to escape
// as it can be, fits in a reply line: one such service made `cfkctl
// --json status` (inspect all) fail for every service, with 1 MiB.
func TestLongestInspectLineIsReadable(t *testing.T) {
	worst := strings.Repeat("\x01", MaxLine)
	cmd, _ := json.Marshal([]string{strings.Repeat("<", MaxLine-4)}) // a JSON-array cmd, escaped again
	many := strings.Split(strings.Repeat("a,", MaxLine/2-1)+"a", ",")
	i := messages.ServiceInfo{Name: "x", State: messages.Fail, Cmd: string(cmd), RunningCmd: string(cmd), Desc: worst,
		FailReason: worst, LastError: worst, Tags: many, Requires: many}
	line := i.Format()
	if len(line) < 5*MaxLine*6 {
		t.Fatalf("the line is %d bytes: not the worst case the test means", len(line))
	}
	rep, err := ReadReply(bufio.NewReader(strings.NewReader(line + "\nOK\r\n")))
	if err != nil || len(rep.Lines) != 1 {
		t.Fatalf("an inspect line of %d bytes: %v", len(line), err)
	}
	t.Logf("the longest inspect line: %d bytes", len(line))
}
