package main

import (
	"bufio"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"time"

	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/protocol"
)

// pipeDeadline bounds one pipelined run: a server that stops reading while
// its replies are not read (the deadlock REFERENCE §1.5's buffering
// avoids) shows as an error, not as a hang.
const pipeDeadline = 60 * time.Second

// declLines is the pipelined client's requests: n declarations `service
// sNNNN cmd=sleep 1`, each ending in \r\n, in one buffer.
func declLines(n int) []byte {
	var b []byte
	for i := 0; i < n; i++ {
		b = fmt.Appendf(b, "service s%04d cmd=sleep 1\r\n", i)
	}
	return b
}

// pipelined dials sock, writes every line of req (n requests) without
// reading, then reads the n replies; it returns the time from the first
// write to the last reply. Every reply must be OK.
func pipelined(sock string, req []byte, n int) (time.Duration, error) {
	conn, err := net.Dial("unix", sock)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(pipeDeadline))
	r := bufio.NewReaderSize(conn, 1<<20)
	t0 := time.Now()
	if w, err := conn.Write(req); err != nil {
		return 0, fmt.Errorf("pipelined: wrote %d of %d bytes, no reply read yet: %w", w, len(req), err)
	}
	for i := 0; i < n; i++ {
		rep, err := protocol.ReadReply(r)
		if err != nil {
			return 0, fmt.Errorf("pipelined: reply %d of %d: %w", i+1, n, err)
		}
		if rep.Err != nil {
			return 0, fmt.Errorf("pipelined: reply %d of %d: %w", i+1, n, rep.Err)
		}
	}
	return time.Since(t0), nil
}

// lps is n lines over d, in lines/s.
func lps(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// pipeServer is the baseline of the pipelined declarations: a plain UNIX
// socket server that reads request lines and answers each one OK through
// the admin protocol's codec, its replies gathered while more requests are
// already read and written once the read buffer is empty (or 64 KiB are
// pending), which is what REFERENCE §1.5 asks of cfkd. testkit.ReplyServer,
// the round trips' baseline, writes each reply on its own: a client that
// writes 9,000 requests before it reads deadlocks it (its replies fill the
// socket, it stops reading, the client's write blocks), the very deadlock
// of issue 11. Closing the listener stops it.
func pipeServer(sock string) (net.Listener, error) {
	ln, err := net.Listen("unix", sock)
	if err != nil {
		return nil, err
	}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go servePipelined(conn)
		}
	}()
	return ln, nil
}

func servePipelined(conn net.Conn) {
	defer conn.Close()
	r := bufio.NewReaderSize(conn, 64<<10)
	var out []byte
	for {
		if _, err := protocol.ReadRequest(r); err != nil {
			conn.Write(out)
			return
		}
		out = protocol.AppendReply(out, messages.Reply{})
		if r.Buffered() == 0 || len(out) >= 64<<10 {
			if _, err := conn.Write(out); err != nil {
				return
			}
			out = out[:0]
		}
	}
}

// pipeRound is one interleaved sample of the pipelined declarations: the
// baseline server's time, then a fresh cfkd's.
type pipeRound struct {
	base, cfk time.Duration
}

// declTarget is issue 11's floor for the pipelined declarations.
const declTarget = 100000 // lines/s

// benchPipelined measures o.repeatFor(n) interleaved rounds of n pipelined
// declarations: against the baseline server, then against a fresh cfkd
// (with no service yet: the declarations create them), whose status must
// then list the n services.
func benchPipelined(cl *cleaner, o *options, dir string, n int) ([]pipeRound, error) {
	sock := filepath.Join(mkdir(dir), "pipe.sock")
	ln, err := pipeServer(sock)
	if err != nil {
		return nil, err
	}
	cl.add(func() { ln.Close() })
	defer ln.Close()
	req := declLines(n)
	var rs []pipeRound
	repeat := o.repeatFor(n)
	for k := range repeat {
		logf("N=%d: pipelined declarations, round %d of %d (baseline server, then a fresh cfkd)", n, k+1, repeat)
		var pr pipeRound
		if pr.base, err = pipelined(sock, req, n); err != nil {
			return nil, fmt.Errorf("baseline server: %w", err)
		}
		if pr.cfk, err = pipelinedCfkd(cl, o, filepath.Join(dir, fmt.Sprintf("cfkd-%d", k)), req, n, k == 0); err != nil {
			return nil, err
		}
		rs = append(rs, pr)
	}
	return rs, nil
}

// pipelinedCfkd runs the pipelined declarations on a fresh cfkd in dir,
// profiled (-perf) when first.
func pipelinedCfkd(cl *cleaner, o *options, dir string, req []byte, n int, first bool) (time.Duration, error) {
	d, c, done, err := session(cl, o, dir)
	if err != nil {
		return 0, err
	}
	defer done()
	prof := func() {}
	if first {
		prof = o.profile(d.pid(), fmt.Sprintf("n%d-decl", n))
	}
	took, err := pipelined(d.sock, req, n)
	prof()
	if err != nil {
		return 0, err
	}
	st, err := c.status("")
	if err != nil {
		return 0, err
	}
	if len(st) != n {
		return 0, fmt.Errorf("pipelined: %d replies OK, but status lists %d services, want %d", n, len(st), n)
	}
	return took, nil
}

// pipeRow is the row of the pipelined declarations (the medians of the
// rates and of each round's ratio) and its note (each round's ratio).
func pipeRow(rs []pipeRound, n int) (row, string) {
	var bs, cs, ratios []float64
	var each []string
	for _, r := range rs {
		b, c := lps(n, r.base), lps(n, r.cfk)
		bs, cs, ratios = append(bs, b), append(cs, c), append(ratios, c/b)
		each = append(each, fmt.Sprintf("%.3g×", c/b))
	}
	metric := fmt.Sprintf("pipelined declarations: %d lines written, then the replies read", n)
	if len(rs) > 1 {
		metric += fmt.Sprintf(" (median of %d)", len(rs))
	}
	cfk := medianF(cs)
	return row{metric: metric, base: rate(medianF(bs)), cfk: rate(cfk), ratio: fmt.Sprintf("%.3g×", medianF(ratios)),
			target: fmt.Sprintf("≥ %d lines/s", declTarget), verdict: verdict(cfk >= declTarget)},
		fmt.Sprintf("pipelined declarations: one connection writes %d lines `service sNNNN cmd=sleep 1` without reading, then reads the %d replies (all OK), on a fresh cfkd each round; baseline: a plain UNIX socket server reading the same lines and answering each OK through the same codec, its replies written together once its read buffer is empty (testkit.ReplyServer, the round trips' baseline, writes each reply alone, and this client deadlocks it at 9,000 lines); ratio the median of each round's: %s",
			n, n, strings.Join(each, ", "))
}

// benchDecl is -only decl: the table of the pipelined declarations alone
// with n services (the row and its note of benchN's table).
func benchDecl(cl *cleaner, o *options, dir string, n int) (*table, error) {
	t := &table{title: fmt.Sprintf("N = %d services: pipelined declarations", n)}
	pipes, err := benchPipelined(cl, o, filepath.Join(dir, "pipelined"), n)
	if err != nil {
		return t, fmt.Errorf("pipelined declarations: %w", err)
	}
	r, note := pipeRow(pipes, n)
	t.add(r)
	t.note("%s", note)
	return t, nil
}
