package protocol

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
)

// A peer that is no cfkd (a web server given for cfkd's address) answers
// with a line ending in "\r\n" that is no terminator, then closes: the
// close is io.ErrUnexpectedEOF still, as a *ForeignReplyError naming that
// line. A close after body lines alone (cfkd killed as it wrote) is the
// plain io.ErrUnexpectedEOF.
func TestReadReplyForeignPeer(t *testing.T) {
	r := bufio.NewReader(strings.NewReader("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n\r\n400 Bad Request"))
	_, err := ReadReply(r)
	var foreign *ForeignReplyError
	if !errors.Is(err, io.ErrUnexpectedEOF) || !errors.As(err, &foreign) || foreign.Line != "HTTP/1.1 400 Bad Request" {
		t.Fatalf("err %v (%T), want a ForeignReplyError of the HTTP status line", err, err)
	}
	_, err = ReadReply(bufio.NewReader(strings.NewReader("svc1\tstopped\n")))
	if err != io.ErrUnexpectedEOF {
		t.Fatalf("body lines then a close: err %v, want io.ErrUnexpectedEOF alone", err)
	}
	// a complete reply is taken as it was, however it came
	rep, err := ReadReply(bufio.NewReader(strings.NewReader("x\r\nOK\r\n")))
	if err != nil || rep.Err != nil || len(rep.Lines) != 1 || rep.Lines[0] != "x" {
		t.Fatalf("rep %+v err %v", rep, err)
	}
}
