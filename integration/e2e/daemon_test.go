package e2e

import (
	"bufio"
	"context"
	"github.com/cfk/cfk/internal/testkit"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/protocol"
)

const deadline = 15 * time.Second

// daemon is one cfkd process under test.
type daemon struct {
	t      testing.TB
	home   string
	sock   string
	cmd    *exec.Cmd
	stderr testkit.Buffer // written by exec's copier while the test reads it
	exited chan struct{}
	err    error // exit error, valid once exited is closed
}

// startDaemon runs cfkd in the foreground on a fresh home (or the given
// one) and waits until its UNIX socket accepts connections.
func startDaemon(t testing.TB, home string, args ...string) *daemon {
	t.Helper()
	if home == "" {
		home = filepath.Join(t.TempDir(), "home")
	}
	d := launchDaemon(t, home, args...)
	d.sock = filepath.Join(home, "sock")
	d.waitAccept("unix", d.sock)
	return d
}

// startDaemonTCP runs cfkd with a TCP console on addr and waits until
// dial accepts.
func startDaemonTCP(t testing.TB, addr, dial string, extra ...string) *daemon {
	t.Helper()
	d := launchDaemon(t, filepath.Join(t.TempDir(), "home"), append([]string{"-a", addr}, extra...)...)
	d.waitAccept("tcp", dial)
	return d
}

// launchDaemon starts cfkd on home; it is stopped at the end of the test.
func launchDaemon(t testing.TB, home string, args ...string) *daemon {
	t.Helper()
	return runDaemonCmd(t, home, exec.Command(cfkdBin, append([]string{"--home", home}, args...)...), nil)
}

// cfkdOutput runs cfkd on home with args, expected to exit by itself
// (refusing to start), and returns its output. It is killed after the
// suite's deadline, and whatever it left on home at the end of the test.
func cfkdOutput(t testing.TB, home string, env []string, args ...string) ([]byte, error) {
	t.Helper()
	t.Cleanup(func() { killHome(home) })
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	cmd := exec.CommandContext(ctx, cfkdBin, append([]string{"--home", home}, args...)...)
	cmd.Env = childEnv(append([]string{"CFKD_HOME=" + home}, env...)...)
	return cmd.CombinedOutput()
}

// runDaemonCmd starts cmd, a cfkd on home (or a shell that execs one),
// its stderr kept (in stderr when not nil); it is stopped at the end of
// the test. Its environment is childEnv's with CFKD_HOME, plus cmd.Env
// when the caller set one (startDaemonEnv).
func runDaemonCmd(t testing.TB, home string, cmd *exec.Cmd, stderr io.Writer) *daemon {
	t.Helper()
	d := &daemon{t: t, home: home, exited: make(chan struct{}), cmd: cmd}
	d.cmd.Stderr = &d.stderr
	if stderr != nil {
		d.cmd.Stderr = stderr
	}
	d.cmd.Env = childEnv(append([]string{"CFKD_HOME=" + home}, cmd.Env...)...)
	for _, k := range []string{"GOMEMLIMIT", "GOGC"} { // for experiments from make bench
		if v := os.Getenv("CFK_TEST_" + k); v != "" {
			d.cmd.Env = append(d.cmd.Env, k+"="+v)
		}
	}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.err = d.cmd.Wait(); close(d.exited) }()
	t.Cleanup(d.stop)
	return d
}

// acceptsOnHome waits until d accepts on its home's UNIX socket.
func (d *daemon) acceptsOnHome() *daemon {
	d.sock = filepath.Join(d.home, "sock")
	d.waitAccept("unix", d.sock)
	return d
}

// waitAccept waits until cfkd accepts connections on addr, or fails the
// test if it exits or the deadline passes.
func (d *daemon) waitAccept(network, addr string) {
	d.t.Helper()
	end := time.Now().Add(deadline)
	for {
		if c, err := net.Dial(network, addr); err == nil {
			c.Close()
			return
		}
		select {
		case <-d.exited:
			d.t.Fatalf("cfkd exited at start: %v\n%s", d.err, d.stderr.String())
		default:
		}
		if time.Now().After(end) {
			d.t.Fatalf("cfkd never accepted on %s\n%s", addr, d.stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stop terminates cfkd (SIGTERM, then SIGKILL) and kills anything left
// of its services. The TERM is sent again every second: one that comes
// while an upgrade runs (a test that failed before the new cfkd served,
// slow under load) is refused, to be sent again (REFERENCE §13.5); a
// single TERM then left cfkd running until the SIGKILL, and its services
// behind.
func (d *daemon) stop() {
	select {
	case <-d.exited:
	default:
		end := time.After(deadline)
		again := time.NewTicker(time.Second)
		defer again.Stop()
		for sent := 1; ; sent++ {
			d.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-d.exited:
			case <-again.C:
				continue
			case <-end:
				d.t.Errorf("cfkd ignored %d SIGTERMs in %v: killing it\n%s", sent, deadline, d.stderr.String())
				d.cmd.Process.Kill()
				<-d.exited
			}
			break
		}
	}
	if left := killHome(d.home); len(left) > 0 {
		d.t.Errorf("processes left behind by cfkd: %v", left)
	}
}

// waitExit waits for cfkd to exit and returns its exit error.
func (d *daemon) waitExit() error {
	d.t.Helper()
	select {
	case <-d.exited:
		return d.err
	case <-time.After(deadline):
		d.t.Fatalf("cfkd did not exit\n%s", d.stderr.String())
		return nil
	}
}

// client is a raw admin-protocol connection.
type client struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader
}

func (d *daemon) dial() *client {
	d.t.Helper()
	c, err := net.Dial("unix", d.sock)
	if err != nil {
		d.t.Fatal(err)
	}
	d.t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(deadline))
	return &client{t: d.t, conn: c, r: bufio.NewReader(c)}
}

// do sends a request and reads its reply.
func (c *client) do(line string) messages.Reply {
	c.t.Helper()
	// each request its deadline: a connection's whole life may outlast one
	// on a loaded machine (a test polling until a state is reached)
	c.conn.SetDeadline(time.Now().Add(deadline))
	if err := protocol.WriteRequest(c.conn, line); err != nil {
		c.t.Fatal(err)
	}
	r, err := protocol.ReadReply(c.r)
	if err != nil {
		c.t.Fatalf("%q: %v", line, err)
	}
	return r
}

func (c *client) ok(lines ...string) []string {
	c.t.Helper()
	var last []string
	for _, l := range lines {
		r := c.do(l)
		if r.Err != nil {
			c.t.Fatalf("%q: %v", l, r.Err)
		}
		last = r.Lines
	}
	return last
}

// raw writes bytes and reads exactly len(want) bytes back.
func (c *client) raw(send, want string) {
	c.t.Helper()
	if _, err := c.conn.Write([]byte(send)); err != nil {
		c.t.Fatal(err)
	}
	got := make([]byte, len(want))
	if _, err := io.ReadFull(c.r, got); err != nil {
		c.t.Fatalf("after %q: read: %v (got %q)", send, err, got)
	}
	if string(got) != want {
		c.t.Fatalf("after %q: got %q, want %q", send, got, want)
	}
}

// status returns the fields of one service's status line.
func (c *client) status(name string) []string {
	c.t.Helper()
	l := c.ok("command status service " + name)
	return strings.Split(l[0], "\t")
}

// until polls a condition over the admin socket (the client has no event
// stream) with a deadline.
func (c *client) until(what string, cond func() bool) {
	c.t.Helper()
	end := time.Now().Add(deadline)
	for !cond() {
		if time.Now().After(end) {
			c.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// try is do without failing the test (for goroutines).
// async sends line on a connection of its own and answers, once its
// reply comes, the error of either (nil for an OK): a request that
// waits (a stop for a slow end) while the test goes on beside it.
func (d *daemon) async(line string) <-chan error {
	c := d.dial()
	done := make(chan error, 1)
	go func() {
		r, err := c.try(line)
		if err == nil {
			err = r.Err
		}
		done <- err
	}()
	return done
}

func (c *client) try(line string) (messages.Reply, error) {
	if err := protocol.WriteRequest(c.conn, line); err != nil {
		return messages.Reply{}, err
	}
	return protocol.ReadReply(c.r)
}

func newReader(c net.Conn) *bufio.Reader { return bufio.NewReader(c) }

func freePort(t testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func (d *daemon) dialTCP(addr string) *client {
	d.t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		d.t.Fatal(err)
	}
	d.t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(deadline))
	return &client{t: d.t, conn: c, r: bufio.NewReader(c)}
}
