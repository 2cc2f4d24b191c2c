package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The API's errors are JSON (REFERENCE §10.1), the mux's own too: an
// unknown path under /api/ and a method a path does not take answered
// text/plain; and a log count that is not a number (n=abc, n=-1) fell
// back to 20 silently instead of saying so, as a query that cannot be
// decoded (n=%zz) did; a number too big for an int was refused.
func TestAPIErrorsAreJSON(t *testing.T) {
	t.Parallel()
	logs := &fakeLogs{lines: map[string][]string{"a": {"one"}}, follows: map[string][]chan string{}}
	r := newRig(t, Options{Token: "s3cret-token", Logs: logs})
	r.ok("service a cmd=sleep 100")
	for _, tc := range []struct {
		method, path string
		code         int
		allow, text  string
	}{
		{"GET", "/api/nope", http.StatusNotFound, "", "not found: GET /api/nope"},
		{"GET", "/api/services/a/start", http.StatusMethodNotAllowed, "POST", "method not allowed: GET /api/services/a/start"},
		{"DELETE", "/api/services", http.StatusMethodNotAllowed, "GET, HEAD", "method not allowed: DELETE /api/services"},
		{"GET", "/api/services/a/log?n=abc", http.StatusBadRequest, "", `n="abc": want a whole number of lines`},
		{"GET", "/api/services/a/log?n=-1", http.StatusBadRequest, "", `n="-1": want a whole number of lines`},
		{"GET", "/api/services/a/log/follow?n=x", http.StatusBadRequest, "", `n="x": want a whole number of lines`},
		{"GET", "/api/services/a/log?n=%zz", http.StatusBadRequest, "", `bad query: invalid URL escape "%zz"`},
	} {
		res, body := r.do(tc.method, tc.path, "s3cret-token")
		var e struct {
			OK    bool   `json:"ok"`
			Error string `json:"error"`
		}
		if res.StatusCode != tc.code || json.Unmarshal([]byte(body), &e) != nil || e.OK || !strings.Contains(e.Error, tc.text) ||
			res.Header.Get("Allow") != tc.allow {
			t.Errorf("%s %s: %d %q (Allow %q), want %d with %q (Allow %q)", tc.method, tc.path, res.StatusCode, body, res.Header.Get("Allow"), tc.code, tc.text, tc.allow)
		}
	}
	r.expect("GET", "/api/services/a/log?n=5", "", http.StatusOK)
	// a whole number too big for an int is still "at most 1,000"
	r.expect("GET", "/api/services/a/log?n=99999999999999999999", "", http.StatusOK)
}

// The mux's redirect of a path to clean (/api//x, /api/x/../y) is not an
// error: it goes as the mux writes it, Location included (the JSON
// wrapper made it a 307 with an error body and no Location).
func TestAPIRedirectKeepsLocation(t *testing.T) {
	t.Parallel()
	r := newRig(t, Options{})
	for _, p := range []string{"/api/x/../nothing", "/api//nothing", "/api/../nothing"} {
		rec := httptest.NewRecorder()
		r.web.Handler().ServeHTTP(rec, httptest.NewRequest("GET", p, nil))
		if rec.Code/100 != 3 || rec.Header().Get("Location") == "" {
			t.Errorf("%s: %d, Location %q, body %q", p, rec.Code, rec.Header().Get("Location"), rec.Body.String())
		}
	}
}
