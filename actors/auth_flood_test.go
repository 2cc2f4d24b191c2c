package actors

import (
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/rights"
)

// beforeAuthLines is n requests of a client that gave no token, then one
// that does not parse (also refused `not authorized` before a token).
func beforeAuthLines(n int) string {
	return strings.Repeat("command status\r\n", n) + "command bogus\r\n"
}

// The requests a client sends before `auth` on a console with tokens
// are refused, and the first alone is logged (REFERENCE §5.5): a client
// that does not know it must authenticate, or one that floods, must not
// fill cfkd's log. Outside a drain.
func TestRequestsBeforeAuthLoggedOnce(t *testing.T) {
	t.Parallel()
	const n = 2000
	log, rec := recordingLogger()
	client, server := socketPair(t)
	g := &gate{tokens: rights.StoreOf(testTokens(t)), cap: rights.Admin, delay: time.Millisecond, log: log}
	newConnRigGate(t, client, server, defaultConnLimits, false, quietLogger(), nil, g)
	go client.Write([]byte(beforeAuthLines(n) + "exit\r\n"))
	readAll(t, client, []byte(strings.Repeat("ERROR: not authorized\r\n", n+1)))
	if got := rec.text(); strings.Count(got, "\n") != 1 || !strings.Contains(got, "warning audit not authorized: a request before auth") {
		t.Errorf("records, want one of a request before auth:\n%.600s", got)
	}
}

// TestRequestsBeforeAuthInADrainLoggedOnce: the same requests read while
// cfkd drains the connection (queued behind a failed auth, which answers
// after its delay) are refused as outside a drain, and logged as
// outside one: the first alone. Each was logged `not authorized:
// command status (needs read)`, as many records as 64 KiB of requests
// hold (4,000 of `command status`).
func TestRequestsBeforeAuthInADrainLoggedOnce(t *testing.T) {
	t.Parallel()
	const n = 2000
	log, rec := recordingLogger()
	client, server := socketPair(t)
	g := &gate{tokens: rights.StoreOf(testTokens(t)), cap: rights.Admin, delay: time.Second, log: log}
	r := newConnRigGate(t, client, server, defaultConnLimits, false, quietLogger(), nil, g)
	go client.Write([]byte("auth wrong-token\r\n" + beforeAuthLines(n)))
	r.waitFor("the requests read", func() bool {
		reqs, _, _ := r.ioStats()
		return reqs == n+2
	})
	r.sys.Root.Send(r.pid, drainConnection{})
	client.SetReadDeadline(time.Now().Add(connWait))
	readAll(t, client, []byte(strings.Repeat("ERROR: not authorized\r\n", n+2)))
	got := rec.text()
	if c := strings.Count(got, "not authorized: a request before auth"); c != 1 || strings.Count(got, "\n") != 2 {
		t.Errorf("records, want the bad token's and one of a request before auth:\n%.600s", got)
	}
	if r.fake.got.Load() != 0 {
		t.Errorf("%d requests reached the controller, want none", r.fake.got.Load())
	}
}
