package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/cfk/cfk/messages"
)

// A request of the API with a body is refused, 400, and acts on nothing
// (REFERENCE §10.1): a POST's body was dropped while it acted, and its
// client took the success for what it sent (a JSON of options); the
// answer says where the arguments go. An empty body is no body.
func TestAPIBodyRefused(t *testing.T) {
	r := newRig(t, Options{Token: "s3cret-token"})
	r.ok("service a cmd=sleep 100", "service a startwait_secs=0.01")
	send := func(method, path, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, r.http.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer s3cret-token")
		req.Header.Set("Content-Type", "application/json")
		res, err := r.http.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var e struct {
			OK    bool   `json:"ok"`
			Error string `json:"error"`
		}
		json.NewDecoder(res.Body).Decode(&e)
		return res.StatusCode, e.Error
	}
	for _, tc := range []struct{ method, path, body, want string }{
		{"POST", "/api/services/a/start", `{"force":true}`, "POST /api/services/a/start takes no body (14 bytes sent): nothing was done; " +
			"the path names the service and the verb, and nothing else is taken: send it without a body"},
		{"GET", "/api/services/a/log", `{"n":5}`, "GET /api/services/a/log takes no body (7 bytes sent): give n in the query (?n=N), and no body"},
		{"GET", "/api/services", "x", "GET /api/services takes no body (1 byte sent): send it without one"},
	} {
		if code, msg := send(tc.method, tc.path, tc.body); code != http.StatusBadRequest || msg != tc.want {
			t.Errorf("%s %s with a body: %d %q, want 400 %q", tc.method, tc.path, code, msg, tc.want)
		}
	}
	if st := r.info("a").State; st != messages.Stopped {
		t.Fatalf("a start with a body started it: %v", st)
	}
	if code, msg := send("POST", "/api/services/a/start", ""); code != http.StatusOK {
		t.Fatalf("a start with an empty body: %d %q", code, msg)
	}
}
