package ctl

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/protocol"
)

// fakeServer is a scripted cfkd: it reads requests with
// protocol.ReadRequest, records them, and answers each from replies (the
// raw wire text), an unknown request with an ERROR.
type fakeServer struct {
	addr    string // what to pass to --address
	ln      net.Listener
	replies map[string]string
	// hang: requests never answered; close: requests answered by what
	// replies holds (maybe nothing, maybe a partial reply) then closing the
	// connection.
	hang, close map[string]bool
	// then: the reply of a request from its second time on (a stream
	// that an upgrade ended, then the same request again); holdThen: a
	// closing request keeps its connection open after that reply, until
	// released is closed
	then     map[string]string
	holdThen map[string]bool
	delay    map[string]time.Duration // before the reply
	idle     time.Duration            // a connection nothing is read from that long is closed (cfkd's --idle-timeout)
	atEOF    map[string]string        // a held stream's last lines, once the client half-closed
	served   map[string]int
	released chan struct{}

	mu     sync.Mutex
	reqs   []string
	conns  int
	wg     sync.WaitGroup
	notify chan struct{} // a token after each recorded request
}

// ok and fail build raw replies.
func ok(lines ...string) string {
	return string(protocol.AppendReply(nil, messages.Reply{Lines: lines}))
}

func fail(msg string) string {
	return string(protocol.AppendReply(nil, messages.ErrorReply(errors.New(msg))))
}

// newFakeServer listens on a UNIX socket in a fresh short directory (the
// path of a UNIX socket is limited to ~108 bytes).
func newFakeServer(t *testing.T, replies map[string]string) *fakeServer {
	t.Helper()
	dir, err := os.MkdirTemp("", "cfkctl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return newFakeServerAt(t, filepath.Join(dir, "sock"), replies)
}

// newFakeServerAt listens on the UNIX socket path.
func newFakeServerAt(t *testing.T, path string, replies map[string]string) *fakeServer {
	t.Helper()
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	f := startFake(t, ln, replies)
	f.addr = path
	return f
}

// newTCPFakeServer listens on 127.0.0.1, a port the kernel picks.
func newTCPFakeServer(t *testing.T, replies map[string]string) *fakeServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := startFake(t, ln, replies)
	f.addr = ln.Addr().String()
	return f
}

func startFake(t *testing.T, ln net.Listener, replies map[string]string) *fakeServer {
	f := &fakeServer{ln: ln, replies: replies, hang: map[string]bool{}, close: map[string]bool{}, then: map[string]string{},
		holdThen: map[string]bool{}, served: map[string]int{}, released: make(chan struct{}), delay: map[string]time.Duration{}, atEOF: map[string]string{},
		notify: make(chan struct{}, 1)}
	done := make(chan struct{})
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			f.mu.Lock()
			f.conns++
			f.mu.Unlock()
			f.wg.Add(1)
			go func() {
				defer f.wg.Done()
				defer conn.Close()
				go func() { <-done; conn.Close() }()
				f.serve(conn)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		close(done)
		f.release()
		f.wg.Wait()
	})
	return f
}

func (f *fakeServer) serve(conn net.Conn) {
	r := bufio.NewReader(conn)
	for {
		f.mu.Lock()
		idle := f.idle
		f.mu.Unlock()
		if idle > 0 {
			conn.SetReadDeadline(time.Now().Add(idle))
		}
		line, err := protocol.ReadRequest(r)
		if err != nil {
			return
		}
		f.mu.Lock()
		f.reqs = append(f.reqs, line)
		rep, known := f.replies[line]
		f.served[line]++
		hold := f.holdThen[line] && f.served[line] > 1
		if next, ok := f.then[line]; ok {
			f.replies[line] = next
			delete(f.then, line)
		}
		hang, closeIt := f.hang[line], f.close[line]
		delay := f.delay[line]
		f.mu.Unlock()
		select {
		case f.notify <- struct{}{}:
		default:
		}
		time.Sleep(delay)
		switch {
		case strings.EqualFold(line, "exit"):
			return
		case closeIt: // after what replies holds, if anything
			conn.Write([]byte(rep))
			if hold {
				// as cfkd ends a stream at the end of the client's
				// input: what it holds (atEOF), then the close
				eof := make(chan struct{})
				go func() { io.Copy(io.Discard, r); close(eof) }()
				select {
				case <-f.released:
				case <-eof:
					f.mu.Lock()
					last := f.atEOF[line]
					f.mu.Unlock()
					conn.Write([]byte(last))
				}
			}
			return
		case hang:
			continue
		case !known:
			rep = fail("fake: unexpected request '" + line + "'")
		}
		if _, err := conn.Write([]byte(rep)); err != nil {
			return
		}
	}
}

// requests returns every request received so far, `exit` included.
func (f *fakeServer) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.reqs...)
}

// waitRequests waits (with a deadline) until the server has recorded n
// requests: the final `exit` may arrive after cfkctl returned.
func (f *fakeServer) waitRequests(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		got := f.requests()
		if len(got) >= n {
			return got
		}
		select {
		case <-f.notify:
		case <-deadline:
			return f.requests()
		}
	}
}

func (f *fakeServer) connections() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.conns
}

// The fixed clock and zone of the tests: 2009-11-11 16:16:11 UTC.
var testNow = time.Date(2009, 11, 11, 16, 16, 11, 0, time.UTC)

// epoch is testNow minus d, in Unix seconds, as a status field.
func epoch(d time.Duration) string {
	return itoa(testNow.Add(-d).Unix())
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// result is what one run of cfkctl did.
type result struct {
	stdout, stderr string
	code           int
}

// runCfg is the surroundings of a test run.
type runCfg struct {
	stdin    string
	env      map[string]string // on top of HOME=/home/test
	terminal bool
	// stderrTerminal: stderr is a terminal too (a person reads it)
	stderrTerminal bool
	wd             string // default /work/dir
}

// runCtl runs cfkctl against f (when not nil, through CFKCTL_ADDRESS).
func runCtl(t *testing.T, f *fakeServer, cfg runCfg, args ...string) result {
	t.Helper()
	vars := map[string]string{"HOME": "/home/test"}
	if f != nil {
		vars["CFKCTL_ADDRESS"] = f.addr
	}
	for k, v := range cfg.env {
		vars[k] = v
	}
	wd := cfg.wd
	if wd == "" {
		wd = "/work/dir"
	}
	var stdout, stderr bytes.Buffer
	code := run(args, &env{
		stdin:  strings.NewReader(cfg.stdin),
		stdout: &stdout,
		stderr: &stderr,
		getenv: func(k string) string { return vars[k] },
		getwd:  func() (string, error) { return wd, nil },
		now:    func() time.Time { return testNow },
		loc:    time.UTC,
		isTerminal: func(w io.Writer) bool {
			return cfg.terminal && w == &stdout || cfg.stderrTerminal && w == &stderr
		},
	})
	return result{stdout: stdout.String(), stderr: stderr.String(), code: code}
}

// release ends the connections held open after their then reply.
func (f *fakeServer) release() {
	f.mu.Lock()
	defer f.mu.Unlock()
	select {
	case <-f.released:
	default:
		close(f.released)
	}
}
