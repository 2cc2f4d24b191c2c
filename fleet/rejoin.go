package fleet

// A host shut down and started again tells the hubs its former cfkd told
// it was leaving that it is back (REFERENCE §12.3), as the new cfkd of an
// upgrade in place does (Node.Back). Their addresses come from a file
// the former cfkd wrote in its home: each is reached by a TLS handshake
// first, and only a hub of this fleet answering there is told.

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"sync"

	"github.com/cfk/cfk/fleet/certs"
	"github.com/cfk/cfk/internal/printable"
)

// MaxRejoinHubs bounds the hubs BackFromShutdown tells: more than a
// member's hubs ever are (maxSubsPerHub streams each).
const MaxRejoinHubs = 64

// BackFromShutdown tells the hubs at addrs, which the former cfkd of
// this member told it was leaving at its shutdown, that this member
// serves again: each subscribes its streams here at once, rather than
// --fleet-timeout after the connection went. It returns at once; done,
// if not nil, is called once every address is dealt with.
//
// The addresses come from a file, which may be old or edited: each is
// first reached from a goroutine of its own by the TLS handshake
// protoactor would make (mutual TLS 1.3, this fleet's CA, the
// certificate of a hub naming that address; this member's certificate is
// sent only to a server that passed), and only then handed to protoactor.
// So Back goes only where a hub of this fleet listens, which this member
// dials anyway when it sends it a request; an address where nothing
// listens (a hub gone since) is never given to protoactor, whose endpoint
// writer, its dial failed, would dead-letter for 2 s what this member
// sends there, the first answers to a hub started there meanwhile too.
// Not from an actor: it dials (from goroutines, but it reads n's state).
func (n *Node) BackFromShutdown(addrs []string, done func()) {
	if !n.started.Load() || n.gateway == nil || len(addrs) == 0 {
		if done != nil {
			done()
		}
		return
	}
	if len(addrs) > MaxRejoinHubs {
		addrs = addrs[:MaxRejoinHubs]
	}
	log := n.cfg.Log.WithField("category", logCategory)
	var wg sync.WaitGroup
	for _, a := range addrs {
		wg.Add(1)
		go func(a string) {
			defer wg.Done()
			if err := n.hubAt(a); err != nil {
				log.Infof("fleet: the hub at %s, told at this member's last shutdown that its cfkd went, is not told it is back: %v", printable.String(a), err)
				return
			}
			n.back([]string{a}, false)
			log.Infof("fleet: told the hub at %s, told at this member's last shutdown that its cfkd went, that it is back", printable.String(a))
		}(a)
	}
	go func() {
		wg.Wait()
		if done != nil {
			done()
		}
	}()
}

// hubAt checks, by a TLS handshake, that a hub of this fleet whose
// certificate names addr listens there.
func (n *Node) hubAt(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return fmt.Errorf("not an address (HOST:PORT)")
	}
	cfg := n.creds.Client(certs.RoleHub)
	cfg.ServerName = host
	cfg.NextProtos = []string{"h2"} // as gRPC offers it
	ctx, cancel := context.WithTimeout(context.Background(), n.cfg.Timeout)
	defer cancel()
	d := tls.Dialer{Config: cfg}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	return c.Close()
}
