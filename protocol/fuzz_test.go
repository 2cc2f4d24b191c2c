package protocol

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/cfk/cfk/messages"
)

// FuzzReadRequest: any byte stream is read as requests without a panic,
// making progress, and every line returned is within MaxLine and holds no
// "\n". Then a line made safe for WriteRequest comes back whole.
func FuzzReadRequest(f *testing.F) {
	for _, s := range []string{"", "command status\r\n", "a\nb\r\nc", "\r\r\n\n", "exit", "\x00\r\n\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bufio.NewReaderSize(bytes.NewReader(data), 16)
		for n := 0; ; n++ {
			if n > len(data)+1 {
				t.Fatalf("more lines than bytes: no progress on %q", data)
			}
			line, err := ReadRequest(r)
			if errors.Is(err, ErrLineTooLong) {
				continue
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if strings.Contains(line, "\n") || len(line) > MaxLine {
				t.Fatalf("bad line %q", line)
			}
		}

		line := strings.ReplaceAll(string(data), "\n", "") // a "\r" is safe
		var wire bytes.Buffer
		if err := WriteRequest(&wire, line); err != nil {
			if errors.Is(err, ErrLineTooLong) && len(line) > MaxLine {
				return
			}
			t.Fatalf("WriteRequest(%q): %v", line, err)
		}
		got, err := ReadRequest(bufio.NewReader(&wire))
		if err != nil || got != line {
			t.Fatalf("round trip of %q gave %q, %v", line, got, err)
		}
	})
}

// FuzzReadReply: any byte stream is read as replies without a panic, and
// every body line holds no "\n"; and a reply built from the input (lines
// split at 0x1f, an error when isErr) comes back from
// ReadReply(WriteReply(x)) as x sanitised.
func FuzzReadReply(f *testing.F) {
	f.Add([]byte("done 1\nOK\r\n"), "", false)
	f.Add([]byte("OK\nOK\r\nERROR: x\r\n"), "bad\nthing", true)
	f.Add([]byte("a\r\n\x1fb\nERROR:\r\n"), "", true)
	f.Add([]byte("svc1\trunning\t42\t1257985027\t\t\t\tsleep 100\x1fsvc2\tstopped"), "", false)
	f.Fuzz(func(t *testing.T, data []byte, msg string, isErr bool) {
		r := bufio.NewReaderSize(bytes.NewReader(data), 16)
		for n := 0; ; n++ {
			if n > len(data)+1 {
				t.Fatalf("more replies than bytes: no progress on %q", data)
			}
			rep, err := ReadReply(r)
			if err != nil {
				if rep.Lines != nil || rep.Err != nil {
					t.Fatalf("a reply with error %v: %#v", err, rep)
				}
				break
			}
			for _, l := range rep.Lines {
				if strings.Contains(l, "\n") {
					t.Fatalf("body line %q holds a line feed", l)
				}
			}
			var re *RemoteError
			if rep.Err != nil && !errors.As(rep.Err, &re) {
				t.Fatalf("error %#v is not a *RemoteError", rep.Err)
			}
		}

		var in messages.Reply
		if len(data) > 0 {
			in.Lines = strings.Split(string(data), "\x1f")
		}
		if isErr {
			in.Err = errors.New(msg)
		}
		var wire bytes.Buffer
		if err := WriteReply(&wire, in); err != nil {
			t.Fatal(err)
		}
		got, err := ReadReply(bufio.NewReaderSize(&wire, 16))
		if err != nil {
			t.Fatalf("ReadReply(WriteReply(%#v)): %v", in, err)
		}
		if err := sameReply(got, in); err != nil {
			t.Fatalf("round trip of %#v: %v", in, err)
		}
	})
}
