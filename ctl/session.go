package ctl

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/protocol"
	"github.com/cfk/cfk/rights"
)

// connectError: cfkd could not be reached at the address the user gave (or
// the default). Its text is the original's, two lines, byte for byte.
type connectError struct {
	addr string
	err  error
}

func (c *connectError) Error() string { return strings.Join(c.lines(), "\n") }

// lines are the original's two lines.
func (c *connectError) lines() []string {
	return []string{fmt.Sprintf("Cannot get a socket for '%s'", c.addr), "Maybe you need to start cfkd?"}
}

func (c *connectError) Unwrap() error { return c.err }

// cause is why the dial failed when that is not what the two lines say,
// "" when it is (no socket file, nothing listening: cfkd is not running):
// a permission denied, a timeout, a name that does not resolve... cfkctl
// prints it on a third line (REFERENCE §8.1).
func (c *connectError) cause() string {
	if c.err == nil || errors.Is(c.err, syscall.ENOENT) || errors.Is(c.err, syscall.ECONNREFUSED) {
		return ""
	}
	return c.err.Error()
}

// notASocket is why a UNIX address refused the connection when its path
// is no socket (the kernel says ECONNREFUSED, as for a socket nobody
// listens on): a directory, cfkd's --home given for its socket, or a
// file. Else err, which the two lines say (cfkd not running).
func notASocket(path string, err error) error {
	fi, serr := os.Stat(path)
	switch {
	case serr != nil || fi.Mode()&os.ModeSocket != 0:
		return err
	case fi.IsDir():
		return fmt.Errorf("%s is a directory, not a socket: cfkd's socket is unix:%s if that is cfkd's --home",
			path, filepath.Join(path, "sock"))
	}
	return fmt.Errorf("%s is not a socket: give cfkd's admin socket (unix:HOME/sock for cfkd --home HOME)", path)
}

// socketOfAnotherKind is why a UNIX address refused a stream connection
// with EPROTOTYPE: its path is a socket of another kind, a datagram one
// such as cfkd's own HOME/notify (§2.9) next to HOME/sock, or a seqpacket
// one. Only a datagram socket is probed, by a connect that sends nothing
// (it merely names the peer of cfkctl's own socket); a seqpacket one would
// take the connect as a client's, so it is said to be of another kind.
func socketOfAnotherKind(path string) error {
	if c, err := net.Dial("unixgram", path); err == nil {
		c.Close()
		if filepath.Base(path) == "notify" {
			return fmt.Errorf("%s is a datagram socket, cfkd's notify socket perhaps, not its admin socket: cfkd's socket is unix:%s if that is cfkd's --home",
				path, filepath.Join(filepath.Dir(path), "sock"))
		}
		return fmt.Errorf("%s is a datagram socket, not a stream socket as cfkd's admin socket is: give cfkd's admin socket (unix:HOME/sock for cfkd --home HOME)", path)
	}
	return fmt.Errorf("%s is a socket of another kind than cfkd's admin socket, a stream one: give cfkd's admin socket (unix:HOME/sock for cfkd --home HOME)", path)
}

// closedError: cfkd closed the connection (io.EOF before a reply,
// io.ErrUnexpectedEOF inside one).
type closedError struct {
	what string
	err  error
	// upgrade, when set, is the upgrade in place that came while the
	// request was in flight (upgradedSince): what the close means
	upgrade string
	// addr is the address given, which a peer that is no cfkd
	// (a *protocol.ForeignReplyError) is at
	addr string
}

func (c *closedError) Error() string {
	if c.upgrade != "" {
		return c.what + ": cfkd closed the connection: an upgrade in place came meanwhile (" + c.upgrade +
			"); the request was taken, and the cfkd that runs now carries it on: see cfkctl status"
	}
	var foreign *protocol.ForeignReplyError
	if errors.As(c.err, &foreign) {
		return fmt.Sprintf("%s: the connection closed after a line no cfkd sends (%q): is '%s' cfkd's admin socket?",
			c.what, foreign.Line, c.addr)
	}
	return c.what + ": cfkd closed the connection"
}
func (c *closedError) Unwrap() error { return c.err }

// session is one run's conversation with cfkd: one connection, opened on
// the first request, requests one at a time.
type session struct {
	opts *options
	env  *env

	conn net.Conn
	r    *bufio.Reader
	// hint is said on stderr when the command fails (a TCP console that
	// refused a request sent without a token).
	hint string
	tcp  bool // the connection is TCP
}

func newSession(o *options, e *env) *session { return &session{opts: o, env: e} }

// connect opens the connection unless it is open. An address that does not
// parse is a usage error; a failed dial is a *connectError.
func (s *session) connect() error {
	if s.conn != nil {
		return nil
	}
	network, address, err := protocol.ParseAddress(s.opts.address)
	if err != nil {
		msg := err.Error()
		if s.opts.addressFromEnv {
			// no -a on the line: say whose address it is
			msg += " (from $CFKCTL_ADDRESS)"
		}
		return &usageError{msg: msg, global: true}
	}
	var token string
	if network == "tcp" && s.opts.tokenFile != "" {
		// a token file cfkctl cannot use (missing, a directory,
		// unreadable, empty, loose) is the command line's fault, found
		// before the dial: a usage error (REFERENCE §8.1)
		if token, err = rights.ReadClientToken(s.opts.tokenFile); err != nil {
			return &usageError{msg: err.Error(), global: true}
		}
	}
	d := net.Dialer{Timeout: s.opts.timeout}
	conn, err := d.Dial(network, address)
	if err != nil {
		if s.opts.noHome != "" && s.opts.address == s.opts.noHome {
			// the third line says why the address is /.controlfreak/sock
			err = errors.New("$HOME is not set: give cfkd's address with -a ADDRESS or $CFKCTL_ADDRESS")
		} else if network == "unix" && errors.Is(err, syscall.ECONNREFUSED) {
			err = notASocket(address, err)
		} else if network == "unix" && errors.Is(err, syscall.EPROTOTYPE) {
			err = socketOfAnotherKind(address)
		}
		return &connectError{addr: s.opts.address, err: err}
	}
	s.conn, s.r, s.tcp = conn, bufio.NewReader(conn), network == "tcp"
	if token != "" {
		return s.auth(token)
	}
	return nil
}

// auth sends `auth TOKEN` (REFERENCE §5.3): the first line on a TCP
// console.
func (s *session) auth(token string) error {
	if s.opts.timeout > 0 {
		if err := s.conn.SetDeadline(time.Now().Add(s.opts.timeout)); err != nil {
			return fmt.Errorf("talking to cfkd: %w", err)
		}
	}
	if err := s.send("auth " + token); err != nil {
		return err // a refusal before the token was read (too many connections), or the write's error
	}
	rep, err := protocol.ReadReply(s.r)
	if err != nil {
		return s.convError("reading from cfkd", err)
	}
	if rep.Err != nil {
		s.conn.Close()
		s.conn = nil
		switch rep.Err.Error() {
		case messages.ErrTooManyConnections.Error(), messages.ShutdownReason, messages.UpgradeRetry:
			// the connection refused, not the token: one too many at
			// connect, or past its peer's share (REFERENCE §5.4); or
			// it came as cfkd drained its console, for a shutdown or
			// an upgrade in place (§1.5, §13.3): a stream takes that
			// for its end (openStream)
			return rep.Err
		}
		return fmt.Errorf("cfkd refused the token of %s: %v", s.opts.tokenFile, rep.Err)
	}
	// the deadline was the auth's: a stream opened next has none (REFERENCE
	// §8.1: --timeout bounds the connect and each reply)
	s.conn.SetDeadline(time.Time{})
	return nil
}

// request sends one line and reads its reply. The error is about the
// conversation (connect, write, read, timeout); an ERROR reply is in
// Reply.Err.
func (s *session) request(line string) (messages.Reply, error) {
	if err := s.connect(); err != nil {
		return messages.Reply{}, err
	}
	if s.opts.timeout > 0 {
		if err := s.conn.SetDeadline(time.Now().Add(s.opts.timeout)); err != nil {
			return messages.Reply{}, fmt.Errorf("talking to cfkd: %w", err)
		}
	}
	sent := time.Now()
	if err := s.send(line); err != nil {
		var refused *protocol.RemoteError
		if errors.As(err, &refused) {
			return messages.Reply{Err: refused}, nil
		}
		return messages.Reply{}, err
	}
	rep, err := protocol.ReadReply(s.r)
	if err != nil {
		err = s.convError("reading from cfkd", err)
		var closed *closedError
		var foreign *protocol.ForeignReplyError
		if errors.As(err, &closed) && !endsCfkd(line) && !errors.As(err, &foreign) {
			closed.upgrade = s.upgradedSince(sent)
		}
		return messages.Reply{}, err
	}
	s.noteRefusal(rep.Err, s.tcp)
	return rep, nil
}

// onTCP says whether cfkd's address is a TCP one (streams open
// connections of their own: s may have none).
func (s *session) onTCP() bool {
	network, _, err := protocol.ParseAddress(s.opts.address)
	return err == nil && network == "tcp"
}

// noteRefusal sets the hint of a request that a TCP console refused `not
// authorized` when cfkctl sent it no token (REFERENCE §8.3): a reply's
// ERROR, or the refusal that ends a stream (events, tail -f), whose
// connection is its own.
func (s *session) noteRefusal(err error, tcp bool) {
	var refused *protocol.RemoteError
	if errors.As(err, &refused) && refused.Msg == messages.ErrNotAuthorized.Error() && tcp && s.opts.tokenFile == "" {
		s.hint = "cfkctl: a TCP console wants a token: --token-file FILE (or CFKCTL_TOKEN_FILE)"
	}
}

// endsCfkd says whether line asks cfkd to end or exec (its close is
// then expected: no upgrade to look for), or is the look itself.
func endsCfkd(line string) bool {
	return line == "command shutdown" || line == "command upgraded" ||
		line == "command upgrade" || strings.HasPrefix(line, "command upgrade ")
}

// upgradedSince is, when cfkd closed the connection with a request in
// flight, the text of the upgrade in place that came since the request
// was sent (REFERENCE §13.3: a request that waits for a service then
// gets a clean close, and the new cfkd carries it on), asked with
// `command upgraded` on a new connection; "" when none came, or when
// that cannot be told (cfkd gone, too old to know the command).
func (s *session) upgradedSince(sent time.Time) string {
	s.conn.Close()
	s.conn = nil
	rep, err := s.request("command upgraded")
	if err != nil || rep.Err != nil || len(rep.Lines) != 1 {
		return ""
	}
	f := strings.SplitN(rep.Lines[0], "\t", 4)
	if len(f) != 4 || (f[1] != "upgraded" && f[1] != "rolled-back") {
		return ""
	}
	if at, err := strconv.ParseInt(f[2], 10, 64); err != nil || at < sent.Unix() {
		return ""
	}
	return s.env.safeErr(f[3])
}

// closedGrace is how long dropIfClosed waits for cfkd's close: one
// that comes that soon (an idle timeout about the time waited) would
// otherwise meet the request on its way.
const closedGrace = 50 * time.Millisecond

// dropIfClosed forgets the connection when cfkd closed it, or is about
// to (within closedGrace), while no request was in flight (idle,
// REFERENCE §5.4): the next request opens another. cfkd sends nothing
// unasked, so anything read here (its close, a line) ends the
// connection.
func (s *session) dropIfClosed() {
	if s.conn == nil {
		return
	}
	if err := s.conn.SetReadDeadline(time.Now().Add(closedGrace)); err == nil {
		_, err = s.r.Peek(1)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			if s.conn.SetReadDeadline(time.Time{}) == nil {
				return // open, nothing said
			}
		}
	}
	s.conn.Close()
	s.conn = nil
}

// send writes one request line. A line that cannot be sent is its own
// error (nothing was sent). When the write finds the connection closed,
// cfkd may have said why before it closed (`not authorized`, `too many
// connections`): that reason is the error, a *protocol.RemoteError.
func (s *session) send(line string) error {
	err := protocol.WriteRequest(s.conn, line)
	if err == nil || errors.Is(err, protocol.ErrBadRequest) || errors.Is(err, protocol.ErrLineTooLong) {
		return err
	}
	if rep, rerr := protocol.ReadReply(s.r); rerr == nil && rep.Err != nil {
		return rep.Err
	}
	return s.convError("sending to cfkd", err)
}

// call is request with an ERROR reply turned into the error (a
// *protocol.RemoteError, printed as it is).
func (s *session) call(line string) ([]string, error) {
	rep, err := s.request(line)
	if err != nil {
		return nil, err
	}
	return rep.Lines, rep.Err
}

// convError words a failed write or read.
func (s *session) convError(what string, err error) error {
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Errorf("%s: no answer within %v (see --timeout)", what, s.opts.timeout)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &closedError{what: what, err: err, addr: s.opts.address}
	}
	return fmt.Errorf("%s: %w", what, err)
}

// close says `exit` and closes the connection, if one was opened. Errors
// are ignored: the work is done (or has failed) by then.
func (s *session) close() {
	if s.conn == nil {
		return
	}
	if s.opts.timeout > 0 {
		_ = s.conn.SetDeadline(time.Now().Add(s.opts.timeout))
	}
	_ = protocol.WriteRequest(s.conn, "exit")
	_ = s.conn.Close()
	s.conn = nil
}
