// Package protocol is the one framing codec of the admin socket
// (REFERENCE §1.5, compat), shared by cfkd (ReadRequest, WriteReply) and cfkctl
// (WriteRequest, ReadReply). It frames lines; what a line means is the
// business of package messages.
//
// Model: a client sends request lines, each ending in "\r\n" (a bare "\n" is
// accepted too). Every request gets exactly one reply: zero or more body
// lines, each ending in "\n" alone, then one terminator line ending in
// "\r\n": "OK\r\n", or "ERROR: MESSAGE\r\n" with no body before it. An OK
// with an empty body is just "OK\r\n". So the terminator is recognised by
// its "\r\n": a body line that reads "OK" or starts with "ERROR: " (a service
// may be called OK or ERROR) stays a body line.
// A client may pipeline requests (write several before reading); the
// replies come in request order, and how many cfkd buffers is bounded
// (REFERENCE §1.5; package actors, connection.go).
//
// Invariants:
//   - WriteReply never breaks the framing: a "\r" or "\n" inside a body line
//     or an error message is replaced by a space, so ReadReply(WriteReply(x))
//     gives back x with those characters replaced (see Sanitize). An error
//     message gets no raw control byte either (a tab aside): each is written
//     \xNN, as a byte that is not UTF-8 (see SanitizeError); printable text
//     is kept.
//   - WriteRequest refuses a line that would not come back whole from
//     ReadRequest: one holding "\n", or longer than MaxLine (a "\r" comes
//     back whole).
//   - A line is never read whole into memory past its limit (MaxLine for a
//     request, MaxReplyLine for a reply line). A request line past MaxLine
//     is read to its end and dropped, and ReadRequest says ErrLineTooLong:
//     the connection stays in step for the next line. A reply line past
//     MaxReplyLine is an error after which the connection is out of step.
//   - No function here panics on any input (both readers are fuzzed), and
//     none keeps state between calls besides what the bufio.Reader buffers.
//
// Leniency on reading replies: a line ending in "\r\n" that is neither OK
// nor an ERROR is taken as a body line; "ERROR:" without the space is an
// error too; body lines that came before an ERROR are returned with it.
// Such a line is remembered all the same: if the connection then closes
// before a terminator, the error is a *ForeignReplyError naming it (no
// cfkd sends one: the peer is something else, a web server), still an
// io.ErrUnexpectedEOF.
// A terminator is *not* recognised without its "\r": the original Perl
// client did not either (it matched /^OK$CRLF/), and accepting "OK\n" would
// end the reply early at a body line "OK" (`command list` with a service
// named OK).
package protocol
