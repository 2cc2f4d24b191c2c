package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cfk/cfk/protocol"
)

// daemon is one cfkd started by the tool, in its own throwaway home.
type daemon struct {
	home, sock string
	cmd        *exec.Cmd
	exited     chan struct{}
}

// logConfig routes cfkd's events to cfkd.log, every service's output to
// services.log and the log writer's to logw.log (counted by the log test).
const logConfig = `level = info
format = text
cfkd = file:cfkd.log
services = file:services.log
service.logw = file:logw.log
`

// startDaemon runs bin on a fresh home under dir (its stderr in
// dir/cfkd.stderr, env added to its environment) and waits until its
// admin socket accepts. It is registered with cl: shut down, then killed.
func startDaemon(cl *cleaner, bin, dir string, env ...string) (*daemon, error) {
	home := filepath.Join(dir, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		return nil, err
	}
	lc := filepath.Join(home, "log.config")
	if err := os.WriteFile(lc, []byte(logConfig), 0o600); err != nil {
		return nil, err
	}
	stderr, err := os.Create(filepath.Join(dir, "cfkd.stderr"))
	if err != nil {
		return nil, err
	}
	defer stderr.Close()
	d := &daemon{home: home, sock: filepath.Join(home, "sock"), exited: make(chan struct{})}
	d.cmd = exec.Command(bin, "--home", home, "-l", lc)
	d.cmd.Env = cl.env(append([]string{"CFKD_HOME=" + home}, env...)...)
	d.cmd.Stdout, d.cmd.Stderr = stderr, stderr
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // not hit by the terminal's Ctrl-C
	if err := d.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { d.cmd.Wait(); close(d.exited) }()
	cl.add(d.shutdown)
	ok := until(20*time.Second, 10*time.Millisecond, func() bool {
		select {
		case <-d.exited:
			return true
		default:
		}
		c, err := net.Dial("unix", d.sock)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	select {
	case <-d.exited:
		return nil, fmt.Errorf("cfkd exited at start (see %s)", stderr.Name())
	default:
	}
	if !ok {
		return nil, fmt.Errorf("cfkd never accepted on %s", d.sock)
	}
	return d, nil
}

func (d *daemon) pid() int { return d.cmd.Process.Pid }

// shutdown asks cfkd to shut down (every service stopped), waits for it,
// and SIGKILLs it after a deadline.
func (d *daemon) shutdown() {
	select {
	case <-d.exited:
		return
	default:
	}
	c, err := dialCfkd(d.sock)
	if err == nil {
		c.conn.SetDeadline(time.Now().Add(5 * time.Second))
		_, err = c.do("command shutdown")
		c.close()
	}
	if err != nil && !errors.Is(err, io.EOF) {
		d.cmd.Process.Signal(syscall.SIGTERM) // also a clean shutdown
	}
	select {
	case <-d.exited:
	case <-time.After(20 * time.Second):
		logf("cfkd ignored shutdown: SIGKILL")
		d.cmd.Process.Kill()
		<-d.exited
	}
}

// session starts cfkd in dir and dials it; done closes the connection and
// shuts cfkd down. With -perf, cfkd runs with GODEBUG=gctrace=1: a line
// per GC on its stderr (heap, stacks, globals), which profiled sessions
// keep.
func session(cl *cleaner, o *options, dir string) (d *daemon, c *client, done func(), err error) {
	var env []string
	if o.perfDir != "" {
		env = append(env, "GODEBUG=gctrace=1")
	}
	if d, err = startDaemon(cl, o.cfkd, dir, env...); err != nil {
		return nil, nil, nil, err
	}
	if c, err = dialCfkd(d.sock); err != nil {
		d.shutdown()
		return nil, nil, nil, err
	}
	return d, c, func() { c.close(); d.shutdown() }, nil
}

// client is one persistent admin connection.
type client struct {
	conn net.Conn
	r    *bufio.Reader
}

func dialCfkd(sock string) (*client, error) {
	conn, err := net.Dial("unix", sock)
	if err != nil {
		return nil, err
	}
	return &client{conn: conn, r: bufio.NewReaderSize(conn, 1<<20)}, nil
}

func (c *client) close() { c.conn.Close() }

// do sends one request and returns the body of an OK reply.
func (c *client) do(line string) ([]string, error) {
	if err := protocol.WriteRequest(c.conn, line); err != nil {
		return nil, err
	}
	rep, err := protocol.ReadReply(c.r)
	if err != nil {
		return nil, err
	}
	if rep.Err != nil {
		return nil, fmt.Errorf("%s: %w", line, rep.Err)
	}
	return rep.Lines, nil
}

// load sends declarations in batches (pipelined, replies read per batch).
func (c *client) load(lines []string) error {
	const batch = 200
	for i := 0; i < len(lines); i += batch {
		part := lines[i:min(i+batch, len(lines))]
		var b strings.Builder
		for _, l := range part {
			b.WriteString(l + "\r\n")
		}
		if _, err := c.conn.Write([]byte(b.String())); err != nil {
			return err
		}
		for _, l := range part {
			rep, err := protocol.ReadReply(c.r)
			if err != nil {
				return err
			}
			if rep.Err != nil {
				return fmt.Errorf("%s: %w", l, rep.Err)
			}
		}
	}
	return nil
}

// svcStatus is one status line: name, state, pid (0 when empty).
type svcStatus struct {
	name, state string
	pid         int
}

func (c *client) status(sel string) ([]svcStatus, error) {
	lines, err := c.do(strings.TrimSpace("command status " + sel))
	if err != nil {
		return nil, err
	}
	out := make([]svcStatus, 0, len(lines))
	for _, l := range lines {
		f := strings.Split(l, "\t")
		if len(f) < 3 {
			return nil, fmt.Errorf("bad status line %q", l)
		}
		pid, _ := strconv.Atoi(f[2])
		out = append(out, svcStatus{name: f[0], state: f[1], pid: pid})
	}
	return out, nil
}

// cfkctlVersion asks cfkd its version through cfkctl (also checks that
// the cfkctl binary works); "?" when it fails.
func cfkctlVersion(cl *cleaner, bin, sock string) string {
	cmd := exec.Command(bin, "version")
	cmd.Env = cl.env("CFKCTL_ADDRESS=unix:" + sock)
	out, err := cmd.Output()
	if err != nil {
		return "? (cfkctl: " + err.Error() + ")"
	}
	return strings.TrimSpace(string(out))
}
