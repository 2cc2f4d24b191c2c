package nowait

import (
	"bufio"
	"net"
	"testing"
	"time"
)

// Write writes a line on a fresh socket, and returns at once on one whose
// send buffer is full (its peer reads nothing), where a net.Conn's Write
// would wait; Drop reads what has come and returns without waiting for
// more.
func TestWriteAndDropDoNotWait(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	client.SetDeadline(time.Now().Add(10 * time.Second))

	Write(server, []byte("ERROR: no\r\n"))
	if l, err := bufio.NewReader(client).ReadString('\n'); err != nil || l != "ERROR: no\r\n" {
		t.Fatalf("read %q, %v", l, err)
	}

	client.Write([]byte("junk\r\n"))
	done := make(chan struct{})
	go func() {
		defer close(done)
		big := make([]byte, 1<<20)
		for range 64 { // 64 MiB: far past any send and receive buffer
			Write(server, big)
		}
		Drop(server)
		Drop(server)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Write or Drop waited for a client that reads nothing")
	}
}
