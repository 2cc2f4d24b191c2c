package protocol

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/cfk/cfk/internal/printable"
	"github.com/cfk/cfk/messages"
)

// MaxLine is the longest request line, without its "\r\n", that ReadRequest
// accepts and WriteRequest sends.
const MaxLine = 64 << 10

// MaxReplyLine is the longest reply body line, without its "\n", that
// ReadReply accepts. It is larger than MaxLine because one reply line may
// hold several values that each came in a request line (a desc line holds
// the description and the command), each escaped: an inspect line holds
// cmd, running_cmd, desc, tags, requires, fail_reason and last_error, of
// up to MaxLine bytes each, which JSON may make 7 times as long (a
// control byte is \u0001; a cmd given as a JSON array is escaped twice).
// So about 3.2 MiB: with 1 MiB, one such service made `cfkctl --json
// status` fail for every service.
const MaxReplyLine = 8 << 20

// ErrLineTooLong: a request line is longer than MaxLine.
var ErrLineTooLong = fmt.Errorf("line too long (max %d bytes)", MaxLine)

// ErrReplyLineTooLong: a reply line is longer than MaxReplyLine.
var ErrReplyLineTooLong = fmt.Errorf("reply line too long (max %d bytes)", MaxReplyLine)

// ErrBadRequest: WriteRequest was given a line holding "\n".
var ErrBadRequest = errors.New("request line holds a line feed")

// ForeignReplyError: the server closed the connection in the middle of a
// reply that held a line ending in "\r\n" that is no terminator, which no
// cfkd sends (its body lines end in "\n" alone): the peer is no cfkd (a
// web server given for its address). Line is the first such line. It
// unwraps to io.ErrUnexpectedEOF.
type ForeignReplyError struct{ Line string }

func (e *ForeignReplyError) Error() string {
	return fmt.Sprintf("a line no cfkd sends (%q), then the end of the connection", e.Line)
}

func (e *ForeignReplyError) Unwrap() error { return io.ErrUnexpectedEOF }

// RemoteError is the MESSAGE of an "ERROR: MESSAGE" reply, as ReadReply
// puts it in messages.Reply.Err. Error returns MESSAGE unchanged so that
// clients can show and match the server's exact text.
type RemoteError struct{ Msg string }

func (e *RemoteError) Error() string { return e.Msg }

const (
	okLine      = "OK"
	errorPrefix = "ERROR:"
	crlf        = "\r\n"
)

// NewFileReader reads a config file (cfkd -c, cfkctl load and apply) for
// ReadRequest: a UTF-8 byte order mark at its start, which some editors
// write, is skipped. Left in, it made the first line `unknown command
// '\ufeffservice'`, its mark invisible on a terminal.
func NewFileReader(r io.Reader) *bufio.Reader {
	br := bufio.NewReader(r)
	if b, err := br.Peek(3); err == nil && string(b) == "\xef\xbb\xbf" {
		br.Discard(3)
	}
	return br
}

// ReadRequest reads one request line (server side) and returns it without
// its "\n" or "\r\n". Failure modes:
//   - io.EOF: the client closed the connection cleanly, between lines. A
//     last line without a newline before EOF is returned as a line (nil
//     error); the next call returns io.EOF.
//   - ErrLineTooLong: the line is longer than MaxLine. The rest of the line
//     has been read and dropped, so the next call reads the next line.
//   - any other error of r, as it is; the connection is then unusable.
//
// The returned line may hold any byte but "\n" (a "\r" inside it is kept).
func ReadRequest(r *bufio.Reader) (string, error) {
	// Room for MaxLine bytes and a "\r" before the "\n".
	line, nl, err := readLine(r, MaxLine+1, ErrLineTooLong, true)
	if err != nil {
		if err == io.EOF && len(line) > 0 {
			err = nil
		} else {
			return "", err
		}
	}
	if nl {
		line = bytes.TrimSuffix(line, []byte("\r"))
	}
	if len(line) > MaxLine {
		return "", ErrLineTooLong
	}
	return string(line), nil
}

// WriteRequest writes one request line and its "\r\n" (client side) in a
// single Write. A line holding "\n" is ErrBadRequest, a line longer than
// MaxLine is ErrLineTooLong; nothing is written then. Otherwise the error
// is w's. A "\r" is sent as it is, and comes back whole from ReadRequest,
// which drops one "\r" before the "\n" only ("a\r" is sent "a\r\r\n"): a
// config line may hold one, which cfkd -c takes, and so must cfkctl load.
func WriteRequest(w io.Writer, line string) error {
	if strings.Contains(line, "\n") {
		return ErrBadRequest
	}
	if len(line) > MaxLine {
		return ErrLineTooLong
	}
	_, err := io.WriteString(w, line+crlf)
	return err
}

// Sanitize returns s with every "\r" and "\n" replaced by a space: what
// WriteReply does to body lines and error messages. The other bytes are
// kept as they are, valid UTF-8 or not (a service's output, §6.4).
func Sanitize(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return lineBreaks.Replace(s)
}

// SanitizeError returns what AppendReply writes of an error's text: s
// sanitised (see Sanitize), then each byte that a terminal should not get
// raw, of a control character (ESC, NUL; a tab is kept, as cfkd's log and
// cfkctl keep it) or not UTF-8, written \xNN (package printable), as
// cfkd's errors of a config file's lines are: an error quoting a client's
// line (`malformed service command '...'`, `unknown command '...'`)
// echoed its escape sequences to the terminal of a raw client (socat,
// nc). Printable text is kept byte for byte.
func SanitizeError(s string) string {
	return printable.Line(Sanitize(s))
}

// lineBreaks replaces CR and LF byte by byte (strings.Map would decode
// runes, and turn each byte of invalid UTF-8 into U+FFFD).
var lineBreaks = strings.NewReplacer("\r", " ", "\n", " ")

// AppendReply appends the wire form of rep to b (server side): on success
// each body line and "\n" then "OK\r\n"; on failure "ERROR: " + the error
// text + "\r\n" alone, rep.Lines being dropped (an ERROR has no body). Body
// lines are sanitised (see Sanitize), the error text escaped too (see
// SanitizeError).
func AppendReply(b []byte, rep messages.Reply) []byte {
	if rep.Err != nil {
		b = append(b, errorPrefix+" "...)
		b = append(b, SanitizeError(rep.Err.Error())...)
		return append(b, crlf...)
	}
	for _, l := range rep.Lines {
		b = append(b, Sanitize(l)...)
		b = append(b, '\n')
	}
	return append(b, okLine+crlf...)
}

// WriteReply writes the wire form of rep (see AppendReply) in a single
// Write. The error is w's.
func WriteReply(w io.Writer, rep messages.Reply) error {
	_, err := w.Write(AppendReply(nil, rep))
	return err
}

// ReadReply reads one reply (client side): body lines up to the terminator.
// For "OK" it returns the body lines and a nil Reply.Err; for "ERROR:
// MESSAGE" Reply.Err is a *RemoteError holding MESSAGE (and Lines the body
// lines that a non-conforming server sent before it). The returned error is
// about the connection, not the reply:
//   - io.EOF: the server closed the connection before any byte of a reply;
//   - io.ErrUnexpectedEOF: it closed in the middle of a reply; a
//     *ForeignReplyError (which unwraps to it) when that reply held a
//     line ending in "\r\n" that is no terminator (the peer is no cfkd);
//   - ErrReplyLineTooLong: a line is longer than MaxReplyLine; the
//     connection is then out of step and must be closed;
//   - any other error of r, as it is.
func ReadReply(r *bufio.Reader) (messages.Reply, error) {
	var lines []string
	foreign := -1 // the first line that ended in "\r\n" and was no terminator
	for first := true; ; first = false {
		// Room for MaxReplyLine bytes and a "\r" before the "\n".
		line, nl, err := readLine(r, MaxReplyLine+1, ErrReplyLineTooLong, true)
		if err == io.EOF && (!first || len(line) > 0) {
			err = io.ErrUnexpectedEOF
			if foreign >= 0 {
				err = &ForeignReplyError{Line: lines[foreign]}
			}
		}
		if err != nil {
			return messages.Reply{}, err
		}
		if !nl { // cannot happen without an error; be safe
			return messages.Reply{}, io.ErrUnexpectedEOF
		}
		if content, ok := bytes.CutSuffix(line, []byte("\r")); ok {
			if string(content) == okLine {
				return messages.Reply{Lines: lines}, nil
			}
			if msg, ok := bytes.CutPrefix(content, []byte(errorPrefix)); ok {
				msg = bytes.TrimPrefix(msg, []byte(" "))
				return messages.Reply{Lines: lines, Err: &RemoteError{Msg: string(msg)}}, nil
			}
			line = content
			if foreign < 0 {
				foreign = len(lines)
			}
		}
		if len(line) > MaxReplyLine {
			return messages.Reply{}, ErrReplyLineTooLong
		}
		lines = append(lines, string(line))
	}
}

// ReadStreamLine reads one line of a stream (client side: `command
// events`, `command tail NAME follow`, REFERENCE §1.5) and returns it
// without its "\n" (a "\r" before it is kept: the stream's last line
// ends in "\r\n"). Without a "\n", the error is r's (io.EOF at the end),
// with what came before it. A line longer than MaxReplyLine is
// ErrReplyLineTooLong as soon as that many bytes came without a "\n",
// the rest of it unread: the connection is then out of step, and must be
// closed. (Read whole, a line that never ended, from an address that is
// not cfkd's, grew cfkctl's memory until it was killed.)
func ReadStreamLine(r *bufio.Reader) (string, error) {
	// room for MaxReplyLine bytes and a "\r" before the "\n"
	line, _, err := readLine(r, MaxReplyLine+1, ErrReplyLineTooLong, false)
	return string(line), err
}

// readLine reads up to and including the next "\n" and returns what came
// before it, and whether a "\n" ended it. Without a "\n", err is r's error
// (io.EOF at the end), with whatever came before it. If more than max bytes
// come before the "\n", they are dropped as they come, the line is read to
// its "\n" (or to EOF), and the error is tooLong; without drop, the error
// is tooLong at once, the rest of the line unread (a stream whose line
// may never end).
func readLine(r *bufio.Reader, max int, tooLong error, drop bool) (line []byte, nl bool, err error) {
	var buf []byte
	over := false
	for {
		chunk, e := r.ReadSlice('\n')
		if e == nil {
			chunk = chunk[:len(chunk)-1]
		}
		if !over {
			if len(buf)+len(chunk) > max {
				if !drop {
					return nil, false, tooLong
				}
				over, buf = true, nil
			} else {
				buf = append(buf, chunk...)
			}
		}
		switch {
		case e == nil:
			if over {
				return nil, true, tooLong
			}
			if buf == nil {
				buf = []byte{}
			}
			return buf, true, nil
		case e == bufio.ErrBufferFull:
			continue
		case over && e == io.EOF:
			return nil, false, tooLong
		default:
			return buf, false, e
		}
	}
}
