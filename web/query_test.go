package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/cfk/cfk/messages"
)

// A query parameter a route does not take was ignored: ?since=10m or
// ?lines=100 on the log answered its last 20 lines, as if they were
// those asked for, and n given twice took the first; each is a 400 that
// says what the route takes (REFERENCE §10.1). The page's ?n=50 still
// goes.
func TestAPIQueryParamsChecked(t *testing.T) {
	t.Parallel()
	logs := &fakeLogs{lines: map[string][]string{"a": {"one", "two"}}, follows: map[string][]chan string{}}
	r := newRig(t, Options{Token: "s3cret-token", Logs: logs})
	r.ok("service a cmd=sleep 100")
	for _, tc := range []struct{ method, path, text string }{
		{"GET", "/api/services/a/log?since=10m", `unknown query parameter "since": GET /api/services/a/log takes only n`},
		{"GET", "/api/services/a/log?n=5&lines=100", `unknown query parameter "lines": GET /api/services/a/log takes only n`},
		{"GET", "/api/services/a/log/follow?n=5&tail=1", `unknown query parameter "tail": GET /api/services/a/log/follow takes only n`},
		{"GET", "/api/services/a/log?n=2&n=x", `query parameter "n" given 2 times: give it once`},
		{"GET", "/api/services?state=running", `unknown query parameter "state": GET /api/services takes no query parameter`},
		{"GET", "/api/services/a?n=1", `unknown query parameter "n": GET /api/services/a takes no query parameter`},
		{"GET", "/api/events?since=1", `unknown query parameter "since": GET /api/events takes no query parameter`},
		{"GET", "/api/config?x", `unknown query parameter "x": GET /api/config takes no query parameter`},
		{"POST", "/api/services/a/start?force=1", `unknown query parameter "force": POST /api/services/a/start takes no query parameter`},
		{"GET", "/api/services?%zz", `bad query: invalid URL escape "%zz"`},
	} {
		res, body := doWithin(t, r, tc.method, tc.path, "s3cret-token")
		var e struct {
			OK    bool   `json:"ok"`
			Error string `json:"error"`
		}
		if res.StatusCode != http.StatusBadRequest || json.Unmarshal([]byte(body), &e) != nil || e.OK || e.Error != tc.text {
			t.Errorf("%s %s: %d %q, want 400 %q", tc.method, tc.path, res.StatusCode, body, tc.text)
		}
	}
	if i := r.info("a"); i.State != messages.Stopped {
		t.Fatalf("a POST with a query it does not take acted: a is %s", i.State)
	}
	for _, p := range []string{"/api/services/a/log?n=1", "/api/services/a/log?", "/api/services/a/log"} {
		r.expect("GET", p, "", http.StatusOK)
	}
	if body := r.expect("GET", "/api/services/a/log?n=1", "", http.StatusOK); !strings.Contains(body, `"two"`) || strings.Contains(body, `"one"`) {
		t.Fatalf("n=1: %s", body)
	}
}

// doWithin is r.do with a deadline: a request answered with a stream
// (where a 400 was expected) does not hold the test.
func doWithin(t *testing.T, r *rig, method, path, token string) (*http.Response, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, r.http.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := r.http.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return res, string(b) + " (" + err.Error() + ")"
	}
	return res, string(b)
}
