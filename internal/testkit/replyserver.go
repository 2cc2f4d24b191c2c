package testkit

import (
	"bufio"
	"net"

	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/protocol"
)

// ReplyServer listens on the UNIX socket sock and answers every request
// line with body and OK, through the admin protocol's codec: the cost of
// the socket and the framing alone, the baseline of cfkd's round trips in
// the benchmarks. Closing the listener stops it.
func ReplyServer(sock string, body []string) (net.Listener, error) {
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
			go serveReplies(conn, body)
		}
	}()
	return ln, nil
}

func serveReplies(conn net.Conn, body []string) {
	defer conn.Close()
	r := bufio.NewReader(conn)
	var buf []byte
	for {
		if _, err := protocol.ReadRequest(r); err != nil {
			return
		}
		buf = protocol.AppendReply(buf[:0], messages.Reply{Lines: body})
		if _, err := conn.Write(buf); err != nil {
			return
		}
	}
}
