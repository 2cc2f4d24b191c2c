package web

import (
	"net/http"
	"testing"
	"time"
)

// The scheme of Authorization is case-insensitive (RFC 9110 §11.1): a
// client that sends `bearer TOKEN` was answered 403 "read-only without a
// token".
func TestBearerSchemeAnyCase(t *testing.T) {
	t.Parallel()
	r := newRig(t, Options{Token: "s3cret-token-s3cret"})
	for _, h := range []string{"bearer s3cret-token-s3cret", "BEARER s3cret-token-s3cret", "Bearer  s3cret-token-s3cret "} {
		req, err := http.NewRequest("GET", r.http.URL+"/api/auth", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", h)
		res, err := r.http.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNoContent {
			t.Errorf("Authorization: %q: %d, want %d", h, res.StatusCode, http.StatusNoContent)
		}
	}
}

// A wrong token was answered 401 at once: a local user guessed the tokens
// of a token file given to --http-token (which may be the console's,
// REFERENCE §10.1) at thousands a second on one connection, where the
// console answers a failed auth after 1 s and closes after 3 (§5.3). The 401 waits AuthDelay now;
// the right token and none do not.
func TestWrongTokenWaits(t *testing.T) {
	t.Parallel()
	const delay = time.Second
	r := newRig(t, Options{Token: "s3cret-token-s3cret", AuthDelay: delay})
	timed := func(token string, code int) time.Duration {
		start := time.Now()
		r.expect("GET", "/api/auth", token, code)
		return time.Since(start)
	}
	if d := timed("s3cret-token-s3cret-not", http.StatusUnauthorized); d < delay {
		t.Errorf("a wrong token answered after %v, want %v at least", d, delay)
	}
	if d := timed("s3cret-token-s3cret", http.StatusNoContent); d >= delay {
		t.Errorf("the right token answered after %v, want at once", d)
	}
	if d := timed("", http.StatusForbidden); d >= delay {
		t.Errorf("no token answered after %v, want at once", d)
	}
}
