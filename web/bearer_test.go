package web

import (
	"net/http"
	"testing"
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
