package fleet

import (
	"errors"
	"fmt"
	"io"
	"net"
	"testing"

	"google.golang.org/grpc/credentials"
)

// failingCreds fails every server handshake with err.
type failingCreds struct {
	credentials.TransportCredentials
	err error
}

func (f failingCreds) ServerHandshake(net.Conn) (net.Conn, credentials.AuthInfo, error) {
	return nil, nil, f.err
}

// A member said nothing of a handshake it failed: a hub of another
// fleet, or one refusing this member's expired certificate, left only
// the hub saying why. The member now warns (REFERENCE §12.6), but of a
// connection that ended before its handshake (a port probe).
func TestMemberSaysWhyAHandshakeFailed(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{errors.New("tls: failed to verify certificate: x509: certificate signed by unknown authority"),
			"refused a connection from 127.0.0.7: TLS handshake failed: its certificate is not signed by this fleet's CA (another fleet's certificate?)"},
		{errors.New("remote error: tls: bad certificate"),
			"refused a connection from 127.0.0.7: TLS handshake failed: it refused this member's certificate (bad certificate): is this member's certificate expired, or another fleet's?"},
		{errors.New("tls: client didn't provide a certificate"),
			"refused a connection from 127.0.0.7: TLS handshake failed: tls: client didn't provide a certificate"},
		{io.EOF, ""},
		{fmt.Errorf("read: %w", io.ErrUnexpectedEOF), ""},
	} {
		var said []string
		h := boundHandshakes(failingCreds{err: tc.err}, func(format string, args ...any) {
			said = append(said, fmt.Sprintf(format, args...))
		})
		c1, c2 := net.Pipe()
		conn := &addrConn{Conn: c1, remote: &net.TCPAddr{IP: net.ParseIP("127.0.0.7"), Port: 4242}}
		if _, _, err := h.ServerHandshake(conn); err != tc.err {
			t.Errorf("%v: the handshake's error became %v", tc.err, err)
		}
		c1.Close()
		c2.Close()
		switch {
		case tc.want == "" && len(said) != 0:
			t.Errorf("%v: said %q, want nothing", tc.err, said)
		case tc.want != "" && (len(said) != 1 || said[0] != tc.want):
			t.Errorf("%v: said %q, want %q", tc.err, said, tc.want)
		}
	}
}

// addrConn is a net.Conn with the remote address given.
type addrConn struct {
	net.Conn
	remote net.Addr
}

func (c *addrConn) RemoteAddr() net.Addr { return c.remote }
