package actors

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/cfk/cfk/rights"
)

// A burst of connections past MaxConnections: each one is either served
// or reads `ERROR: too many connections` and then the end of the
// connection, never a bare EOF, though the refusals come faster than
// they can be lingered on (REFERENCE §5.4). The clients send a request
// before they read, as cfkctl sends its auth.
func TestRefusalBurstEachHearsWhy(t *testing.T) {
	t.Parallel()
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			policy := &ConsolePolicy{MaxConnections: 2}
			if network == "tcp" {
				policy.Insecure, policy.InsecureLevel = true, rights.Admin
			} else {
				policy.AdminUIDs = []uint32{uint32(os.Getuid())}
			}
			r := newConsoleRig(t, network, policy)
			const burst = 300
			conns := make([]net.Conn, 0, burst)
			for range burst {
				c, err := net.Dial(r.ln.Addr().Network(), r.ln.Addr().String())
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { c.Close() })
				c.SetDeadline(time.Now().Add(connWait))
				c.Write([]byte("command version\r\n"))
				conns = append(conns, c)
			}
			served, bare := 0, 0
			for i, c := range conns {
				br := bufio.NewReader(c)
				line, err := br.ReadString('\n')
				switch {
				case err == nil && line == "ERROR: too many connections\r\n":
					if rest, err := br.ReadString('\n'); !errors.Is(err, io.EOF) || rest != "" {
						t.Errorf("connection %d: after the refusal %q, %v; want EOF", i, rest, err)
					}
				case err == nil && line == "OK\r\n":
					served++
				case errors.Is(err, io.EOF) && line == "":
					bare++
				default:
					t.Errorf("connection %d: %q, %v", i, line, err)
				}
			}
			if bare > 0 {
				t.Errorf("%d of %d connections closed without a word", bare, burst)
			}
			if served > 2 {
				t.Errorf("%d connections served, at most 2 wanted", served)
			}
		})
	}
}
