package fleet

import (
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/cfk/cfk/internal/keycount"
	"google.golang.org/grpc/credentials"
)

// The TLS handshakes a member's listener runs at once (REFERENCE §12.6):
// anyone who reaches the port may connect before showing a certificate,
// and each connection holds an fd and a goroutine until its handshake
// ends or the deadline (Config.Timeout) cuts it. Past these bounds a
// connection is closed as soon as it is accepted, so that silent
// connections cannot take the fds cfkd's services and consoles need.
const (
	handshakesPerAddr = 64  // from one IP address
	handshakesInAll   = 512 // from all of them
)

var errHandshakes = errors.New("too many TLS handshakes in progress")

// handshakes wraps a server's TLS credentials with those bounds; a
// refusal is logged through warn (at most a line a second).
type handshakes struct {
	credentials.TransportCredentials
	counts keycount.Counts // by IP address
	warn   func(format string, args ...any)
}

func boundHandshakes(c credentials.TransportCredentials, warn func(string, ...any)) *handshakes {
	return &handshakes{TransportCredentials: c, warn: warn,
		counts: keycount.Counts{PerKey: handshakesPerAddr, InAll: handshakesInAll}}
}

// ServerHandshake runs the TLS handshake of an accepted connection if
// the bounds leave room for it; gRPC closes a connection refused here.
func (h *handshakes) ServerHandshake(c net.Conn) (net.Conn, credentials.AuthInfo, error) {
	addr := c.RemoteAddr().String()
	if host, _, err := net.SplitHostPort(addr); err == nil {
		addr = host
	}
	if !h.take(addr) {
		return nil, nil, errHandshakes
	}
	defer h.give(addr)
	conn, info, err := h.TransportCredentials.ServerHandshake(c)
	if err != nil {
		h.refused(addr, err)
	}
	return conn, info, err
}

// refused says why a handshake failed (through warn: at most a line a
// second), so that a member whose hub cannot reach it says why in its
// own log too (REFERENCE §12.6): a hub of another fleet, one that
// refused this member's certificate (expired, or another fleet's). A
// connection that ended before its handshake (a port probe) is not said.
func (h *handshakes) refused(addr string, err error) {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) {
		return
	}
	e := err.Error()
	why := e
	switch {
	case strings.Contains(e, "certificate signed by unknown authority"):
		why = "its certificate is not signed by this fleet's CA (another fleet's certificate?)"
	case strings.Contains(e, "certificate has expired or is not yet valid"):
		why = "its certificate has expired or is not yet valid"
	case strings.Contains(e, "remote error: tls: "):
		why = "it refused this member's certificate (" + e[strings.Index(e, "remote error: tls: ")+len("remote error: tls: "):] +
			"): is this member's certificate expired, or another fleet's?"
	}
	h.warn("refused a connection from %s: TLS handshake failed: %s", addr, why)
}

func (h *handshakes) take(addr string) bool {
	ok, from, all := h.counts.Take(addr)
	if !ok {
		h.warn("refused a connection from %s: %d TLS handshakes in progress from that address, %d in all (at most %d, %d)",
			addr, from, all, h.counts.PerKey, h.counts.InAll)
	}
	return ok
}

func (h *handshakes) give(addr string) { h.counts.Give(addr) }

// Clone keeps the bounds' counts shared: they are the listener's.
func (h *handshakes) Clone() credentials.TransportCredentials { return h }
