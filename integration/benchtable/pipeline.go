package main

import (
	"bufio"
	"fmt"
	"net"
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
