package actors

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/rights"
)

// TestDrainRefusesAStreamItsClientMayNotAsk: a stream's request that the
// connection reads while cfkd drains it (queued behind a request in
// flight), from a client whose token a reload withdrew meanwhile, is
// refused `ERROR: not authorized` as it is outside a drain (REFERENCE
// §5.1, §5.3). It was ended as a granted stream ends at a drain (its end
// line), or refused `cfkd is shutting down`, which cfkctl takes for the
// end of a shutdown: `cfkctl events` exited 0 as if it had been granted.
func TestDrainRefusesAStreamItsClientMayNotAsk(t *testing.T) {
	t.Parallel()
	for _, upgrade := range []bool{false, true} {
		name := "shutdown"
		if upgrade {
			name = "upgrade"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			write, store := tokenFile(t, "operate "+operateTok+" deploy\n")
			client, server := socketPair(t)
			g := &gate{tokens: store, cap: rights.Admin, delay: time.Millisecond, log: quietLogger()}
			r := newConnRigGate(t, client, server, defaultConnLimits, false, quietLogger(), nil, g)
			r.fake.delay = 20 * time.Millisecond
			r.fake.gate = make(chan struct{})
			br := bufio.NewReader(client)
			client.Write([]byte("auth " + operateTok + "\r\n"))
			if l, err := br.ReadString('\n'); err != nil || l != "OK\r\n" {
				t.Fatalf("auth: %q %v", l, err)
			}
			client.Write([]byte("command restart service slow\r\ncommand events\r\ncommand tail web follow\r\n" +
				"command fleet events\r\ncommand status\r\n"))
			r.waitFor("the requests read, one at the controller", func() bool {
				reqs, _, _ := r.ioStats()
				return reqs == 5 && r.fake.got.Load() == 1
			})
			write("admin " + adminTok + " root\n") // the token leaked: withdrawn
			if _, err := store.Reload(); err != nil {
				t.Fatal(err)
			}
			r.sys.Root.Send(r.pid, drainConnection{upgrade: upgrade})
			close(r.fake.gate)
			client.SetReadDeadline(time.Now().Add(connWait))
			got, err := io.ReadAll(br)
			if err != nil {
				t.Fatalf("read: %v (after %q)", err, got)
			}
			refused := "ERROR: not authorized\r\n"
			if want := "restarted slow\nOK\r\n" + strings.Repeat(refused, 4); !bytes.Equal(got, []byte(want)) {
				t.Errorf("got %q, want %q", got, want)
			}
			if n := r.fake.got.Load(); n != 1 {
				t.Errorf("%d requests reached the controller, want the restart alone", n)
			}
		})
	}
}

// TestDrainRefusesAStreamBeforeAuth: on a console that takes tokens, a
// stream's request read during a drain from a client that has given no
// token is refused `ERROR: not authorized`, as before any drain
// (REFERENCE §5.3), not ended as a granted stream nor refused `cfkd is
// shutting down` (which `cfkctl events` takes for a shutdown's end:
// exit 0). It waits behind a failed auth, whose answer comes after the
// gate's delay.
func TestDrainRefusesAStreamBeforeAuth(t *testing.T) {
	t.Parallel()
	client, server := socketPair(t)
	g := &gate{tokens: rights.StoreOf(testTokens(t)), cap: rights.Admin, delay: time.Second, log: quietLogger()}
	r := newConnRigGate(t, client, server, defaultConnLimits, false, quietLogger(), nil, g)
	client.Write([]byte("auth wrong-token\r\ncommand events\r\n"))
	r.waitFor("the requests read", func() bool {
		reqs, _, _ := r.ioStats()
		return reqs == 2
	})
	r.sys.Root.Send(r.pid, drainConnection{})
	client.SetReadDeadline(time.Now().Add(connWait))
	readAll(t, client, []byte(strings.Repeat("ERROR: not authorized\r\n", 2)))
	if n := r.fake.got.Load(); n != 0 {
		t.Errorf("%d requests reached the controller, want none", n)
	}
}
