package web

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/rights"
	"github.com/sirupsen/logrus/hooks/test"
)

// A token in the URL (`?token=...`) is never taken (REFERENCE §10.1), and
// the answer says so, the same for every peer: a peer that may not read
// was told the usual 401 (send Authorization: Bearer), as if it had sent
// no token, and root got a 400 for an unknown query parameter; neither
// said that the token was not taken, nor why. The refusal is audited, the
// token never written; a POST with one acts on nothing.
func TestTokenInURLRefusedSayingWhy(t *testing.T) {
	t.Parallel()
	const tok = "operate-token-0123456789ab"
	toks, err := rights.ParseTokens("tokens", strings.NewReader("operate "+tok+" deploy\n"))
	if err != nil {
		t.Fatal(err)
	}
	log, hook := test.NewNullLogger()
	rule := &readerRule{}
	r := newRig(t, Options{Tokens: rights.StoreOf(toks), Reader: rule.read, AuthDelay: time.Millisecond, Log: log})
	r.ok("service a cmd=sleep 100")
	var now atomic.Int64 // seconds: each refusal audited here is the first of its second
	r.web.refusals.Now = func() time.Time { return time.Unix(now.Add(1), 0) }
	r.web.refusals.LateAfter = time.Hour
	refused := 0
	for _, allowed := range []bool{false, true} { // a peer that may not read, then root
		rule.allow(allowed)
		for _, q := range []struct{ method, path string }{
			{"GET", "/api/services?token=" + tok},
			{"GET", "/api/services/a/log?n=5&access_token=" + tok},
			{"GET", "/metrics?Token=" + tok},
			{"POST", "/api/services/a/start?token=" + tok},
		} {
			res, body := r.do(q.method, q.path, "")
			if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "a token in the URL") ||
				!strings.Contains(body, "never taken") || !strings.Contains(body, "Authorization: Bearer TOKEN") ||
				strings.Contains(body, tok) {
				t.Fatalf("%s %s (reader allowed: %v): %d %s, want 400 saying a token in the URL is not taken",
					q.method, q.path, allowed, res.StatusCode, strings.TrimSpace(body))
			}
			refused++
		}
	}
	if i := r.info("a"); i.State != messages.Stopped {
		t.Fatalf("a is %s after POSTs with a token in the URL: want stopped", i.State)
	}
	var audited int
	for _, e := range hook.AllEntries() {
		if strings.Contains(e.Message, tok) {
			t.Fatalf("the token was logged: %s", e.Message)
		}
		if e.Data["category"] == actors.AuditCategory && strings.HasSuffix(e.Message, "(a token in the URL)") {
			audited++
		}
	}
	if audited != refused {
		t.Fatalf("%d refusals of a token in the URL audited, want %d", audited, refused)
	}
}
