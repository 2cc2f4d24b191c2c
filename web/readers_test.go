package web

import (
	"errors"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cfk/cfk/rights"
)

// readerRule is a Reader that lets in the peers allowed says, and
// records the addresses it was given.
type readerRule struct {
	mu            sync.Mutex
	allowed       bool
	local, remote netip.AddrPort
}

func (r *readerRule) read(local, remote netip.AddrPort) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.local, r.remote = local, remote
	if r.allowed {
		return nil
	}
	return errors.New("uid 65534 is not root, cfkd's user nor a member of an admin group")
}

func (r *readerRule) allow(ok bool) {
	r.mu.Lock()
	r.allowed = ok
	r.mu.Unlock()
}

// The GETs read only with a token of the file (read ones included) or the
// Reader's yes (a loopback user the UNIX console lets in): anyone else who
// reaches the listener is told how to get in, not shown the services, their
// commands, their last lines or the metrics (REFERENCE §10.1).
func TestReadNeedsATokenOrAUser(t *testing.T) {
	t.Parallel()
	toks, err := rights.ParseTokens("tokens", strings.NewReader(
		"read read-token-0123456789abcdef monitoring\noperate operate-token-0123456789ab deploy\n"))
	if err != nil {
		t.Fatal(err)
	}
	rule := &readerRule{}
	r := newRig(t, Options{Tokens: rights.StoreOf(toks), Reader: rule.read, AuthDelay: time.Millisecond})
	r.ok("service a cmd=sleep 100 --secret-flag")
	reads := []string{"/api/services", "/api/services/a", "/api/services/a/log", "/api/config", "/metrics", "/api/events", "/nope"}
	for _, p := range reads {
		res, body := r.do("GET", p, "")
		if res.StatusCode != http.StatusUnauthorized || res.Header.Get("WWW-Authenticate") == "" ||
			!strings.Contains(body, "uid 65534 is not root") || !strings.Contains(body, "Authorization: Bearer TOKEN") ||
			strings.Contains(body, "secret-flag") {
			t.Fatalf("GET %s by a refused peer: %d %s", p, res.StatusCode, body)
		}
	}
	if res, _ := r.do("HEAD", "/metrics", ""); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("HEAD /metrics by a refused peer: %d", res.StatusCode)
	}
	// what holds no data: the page's files; /api/auth checks its token
	r.expect("GET", "/static/app.js", "", http.StatusOK)
	for _, p := range []string{"/static/../metrics", "/static/%2e%2e/api/services", "//api/services"} {
		if res, body := r.do("GET", p, ""); res.StatusCode == http.StatusOK && !strings.Contains(body, "function") {
			t.Fatalf("GET %s by a refused peer: %d %s", p, res.StatusCode, body)
		}
	}
	r.expect("GET", "/api/auth", "", http.StatusForbidden)
	// a token of the file, read or operate, reads (Prometheus: a read
	// token as Bearer); a wrong one is 401
	for _, tok := range []string{"read-token-0123456789abcdef", "operate-token-0123456789ab"} {
		if body := r.expect("GET", "/api/services/a", tok, http.StatusOK); !strings.Contains(body, "secret-flag") {
			t.Fatalf("with a token: %s", body)
		}
		r.expect("GET", "/metrics", tok, http.StatusOK)
	}
	if body := r.expect("GET", "/metrics", "wrong-token-0123456789abcdef", http.StatusUnauthorized); !strings.Contains(body, "wrong token") {
		t.Fatalf("a wrong token: %s", body)
	}
	// the Reader's yes: no token needed; it was given the two ends
	rule.allow(true)
	for _, p := range []string{"/", "/api/services", "/metrics"} {
		r.expect("GET", p, "", http.StatusOK)
	}
	rule.mu.Lock()
	local, remote := rule.local, rule.remote
	rule.mu.Unlock()
	if local.String() != strings.TrimPrefix(r.http.URL, "http://") || !remote.Addr().IsLoopback() || remote.Port() == 0 {
		t.Fatalf("the Reader was given %v %v; the server is %s", local, remote, r.http.URL)
	}
}

// Without a token file, a peer the Reader refuses is 403: no token would
// help, and the answer says so; without a Reader, nobody reads but with a
// token.
func TestReadWithoutTokenFile(t *testing.T) {
	t.Parallel()
	rule := &readerRule{}
	r := newRig(t, Options{Reader: rule.read})
	if body := r.expect("GET", "/api/services", "", http.StatusForbidden); !strings.Contains(body, "uid 65534") ||
		!strings.Contains(body, "without --http-token") {
		t.Fatalf("refused without a token file: %s", body)
	}
	rule.allow(true)
	r.expect("GET", "/api/services", "", http.StatusOK)

	never := func(netip.AddrPort, netip.AddrPort) error { return errors.New("cfkd cannot tell who you are") }
	r = newRig(t, Options{Token: "s3cret-token-s3cret", Reader: never})
	if body := r.expect("GET", "/metrics", "", http.StatusUnauthorized); !strings.Contains(body, "cannot tell who you are") {
		t.Fatalf("an unknown peer: %s", body)
	}
	r.expect("GET", "/metrics", "s3cret-token-s3cret", http.StatusOK)
}

// With --http-remote any Host is answered (no 421), but a request whose
// Host is not a loopback one reads only with a token: a page elsewhere,
// rebound by DNS to 127.0.0.1, would else read through the browser of a
// user the Reader lets in (REFERENCE §10.1).
func TestReadByUserNeedsLoopbackHost(t *testing.T) {
	t.Parallel()
	rule := &readerRule{allowed: true}
	r := newRig(t, Options{Token: "s3cret-token-s3cret", Reader: rule.read})
	for host, code := range map[string]int{"evil.example": http.StatusUnauthorized, "evil.example:80": http.StatusUnauthorized,
		"localhost": http.StatusOK, "127.0.0.1:9": http.StatusOK, "[::1]": http.StatusOK} {
		req, _ := http.NewRequest("GET", r.http.URL+"/api/services", nil)
		req.Host = host
		res, err := r.http.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != code {
			t.Errorf("Host: %s: %d, want %d", host, res.StatusCode, code)
		}
	}
	req, _ := http.NewRequest("GET", r.http.URL+"/api/services", nil)
	req.Host = "evil.example"
	req.Header.Set("Authorization", "Bearer s3cret-token-s3cret")
	res, err := r.http.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("Host: evil.example with the token: %d", res.StatusCode)
	}
}
