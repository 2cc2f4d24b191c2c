package testkit

import (
	"context"
	"crypto/tls"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/remote"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// RawFleetStream opens protoactor remote's message stream to addr as a
// peer of the test's making (cfg nil: plaintext) and does its connect
// exchange; it returns the stream, or the error of the first step that
// failed. The fleet's security tests use it to play hostile peers.
func RawFleetStream(t testing.TB, addr string, cfg *tls.Config) (remote.Remoting_ReceiveClient, error) {
	t.Helper()
	cred := insecure.NewCredentials()
	if cfg != nil {
		cred = credentials.NewTLS(cfg)
	}
	conn, err := grpc.Dial(addr, grpc.WithTransportCredentials(cred))
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { conn.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	s, err := remote.NewRemotingClient(conn).Receive(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.Send(&remote.RemoteMessage{MessageType: &remote.RemoteMessage_ConnectRequest{ConnectRequest: &remote.ConnectRequest{
		ConnectionType: &remote.ConnectRequest_ServerConnection{ServerConnection: &remote.ServerConnection{SystemId: "test", Address: "127.0.0.1:1"}}}}}); err != nil {
		return nil, err
	}
	if _, err := s.Recv(); err != nil {
		return nil, err
	}
	return s, nil
}
