package proxywire

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/cfk/cfk/messages"
)

// The streams of a log line (its TYPE, REFERENCE §4.4).
const (
	StreamOut = "out"
	StreamErr = "err"
)

// SelfName is the service name of the proxy's own log lines.
const SelfName = "-"

// PipeBuf is the largest write to a pipe that the kernel keeps whole
// (POSIX PIPE_BUF, 4096 on Linux): a reader never sees a part of it. A
// proxy writes the status and log pipes in whole lines of at most PipeBuf
// bytes, because the original cfkd reads them with Perl's readline on a
// non-blocking handle, which returns the part of a line already in the pipe
// as if it were a whole line: a line cut by a partial write became two log
// lines (the second one "Cannot find svc" of an empty name), or a status
// line that is not JSON.
const PipeBuf = 4096

// LogLine is one line of the log pipe: TYPE:SVCNAME:MESSAGE.
type LogLine struct {
	Stream  string // StreamOut or StreamErr
	Service string // a service name, or SelfName for the proxy itself
	Message string // the rest of the line, colons included
}

// ParseLogLine parses a log line (without its "\n"): split on its first
// two colons, as the original cfkd did; TYPE must be out or err, and the
// service a valid name (REFERENCE §1.1) or SelfName.
func ParseLogLine(line string) (LogLine, error) {
	typ, rest, ok1 := strings.Cut(line, ":")
	svc, msg, ok2 := strings.Cut(rest, ":")
	switch {
	case !ok1 || !ok2:
		return LogLine{}, fmt.Errorf("invalid log line %q: want TYPE:NAME:MESSAGE", clip([]byte(line)))
	case typ != StreamOut && typ != StreamErr:
		return LogLine{}, fmt.Errorf("invalid log line %q: unknown type '%s'", clip([]byte(line)), clip([]byte(typ)))
	case svc != SelfName && !messages.ValidName(svc):
		return LogLine{}, fmt.Errorf("invalid log line %q: invalid service name", clip([]byte(line)))
	}
	return LogLine{Stream: typ, Service: svc, Message: msg}, nil
}

// EncodeLog returns the log lines of msg, each with its "\n": one line
// STREAM:NAME:MSG, or several when that would be longer than PipeBuf, msg
// cut into pieces (at a UTF-8 character boundary when one is near) that
// each get the STREAM:NAME: prefix. An empty msg is one line. A "\n" in
// name or msg becomes a space, so that each line stays one line.
func EncodeLog(stream, name string, msg []byte) [][]byte {
	return splitLogLine(stream, name, msg, PipeBuf)
}

// LogRoom is the longest message that EncodeLog writes in one line of
// stream and name: PipeBuf less the prefix TYPE:NAME: and the "\n" (4089
// bytes for service "s"). A proxy that cuts its services' long lines
// itself (cfk-proxy: osproc.Spec.MaxLine) cuts them in pieces of that
// size, each one line of the log pipe.
func LogRoom(stream, name string) int { return logRoom(stream, name, PipeBuf) }

func logRoom(typ, name string, max int) int {
	room := max - (len(typ) + len(name) + 3) // two ':' and the '\n'
	// a name that long cannot come from cfkd; keep it whole
	if room < 64 {
		room = 64
	}
	return room
}

// splitLogLine is EncodeLog with lines of at most max bytes.
func splitLogLine(typ, name string, msg []byte, max int) [][]byte {
	prefix := len(typ) + len(name) + 3 // two ':' and the '\n'
	room := logRoom(typ, name, max)
	var out [][]byte
	for {
		piece := msg
		if len(piece) > room {
			cut := room
			for i := 0; i < utf8.UTFMax && cut-i > 0; i++ {
				if utf8.RuneStart(msg[cut-i]) {
					cut -= i
					break
				}
			}
			piece = msg[:cut]
		}
		out = append(out, appendLogLine(make([]byte, 0, prefix+len(piece)), typ, name, piece))
		msg = msg[len(piece):]
		if len(msg) == 0 {
			return out
		}
	}
}

// appendLogLine appends TYPE:NAME:MSG\n to b. A "\n" in name or msg (only
// possible from a bad service name or a command echoed back) becomes a
// space, so that one call is always one line.
func appendLogLine(b []byte, typ, name string, msg []byte) []byte {
	b = append(b, typ...)
	b = append(b, ':')
	b = appendOneLine(b, []byte(name))
	b = append(b, ':')
	b = appendOneLine(b, msg)
	return append(b, '\n')
}

func appendOneLine(b, s []byte) []byte {
	for _, c := range s {
		if c == '\n' {
			c = ' '
		}
		b = append(b, c)
	}
	return b
}
