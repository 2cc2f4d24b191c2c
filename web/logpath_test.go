package web

import (
	"encoding/json"
	"net/http"
	"testing"
)

// REFERENCE §10.1: "a method a path does not take a 405 with Allow".
// /api/services/NAME/log takes GET and HEAD; the actions' route
// (POST /api/services/{name}/{verb}) matched it too, so its 405s said
// "Allow: GET, HEAD, POST" and a POST there was a 404 "unknown action
// 'log'": a client that believed the Allow got a 404. Now every other
// method there, POST included, is a 405 with "Allow: GET, HEAD"; the
// verbs and an unknown verb are answered as before.
func TestLogPathTakesNoPost(t *testing.T) {
	t.Parallel()
	logs := &fakeLogs{lines: map[string][]string{"a": {"one"}}, follows: map[string][]chan string{}}
	r := newRig(t, Options{Token: "s3cret-token", Logs: logs})
	r.ok("service a cmd=sleep 100")
	for _, tc := range []struct {
		method, path string
		code         int
		allow, text  string
	}{
		{"POST", "/api/services/a/log", http.StatusMethodNotAllowed, "GET, HEAD", "method not allowed: POST /api/services/a/log"},
		{"OPTIONS", "/api/services/a/log", http.StatusMethodNotAllowed, "GET, HEAD", "method not allowed: OPTIONS /api/services/a/log"},
		{"PUT", "/api/services/a/log", http.StatusMethodNotAllowed, "GET, HEAD", "method not allowed: PUT /api/services/a/log"},
		{"POST", "/api/services/nope/log", http.StatusMethodNotAllowed, "GET, HEAD", "method not allowed: POST /api/services/nope/log"},
		{"POST", "/api/services/a/log/follow", http.StatusMethodNotAllowed, "GET, HEAD", "method not allowed: POST /api/services/a/log/follow"},
		{"GET", "/api/services/a/start", http.StatusMethodNotAllowed, "POST", "method not allowed: GET /api/services/a/start"},
		{"POST", "/api/services/a/kill", http.StatusNotFound, "", "unknown action 'kill' (start, stop or restart)"},
		{"POST", "/api/services/a/logs", http.StatusNotFound, "", "unknown action 'logs' (start, stop or restart)"},
	} {
		res, body := doWithin(t, r, tc.method, tc.path, "s3cret-token")
		var e struct {
			OK    bool   `json:"ok"`
			Error string `json:"error"`
		}
		if res.StatusCode != tc.code || json.Unmarshal([]byte(body), &e) != nil || e.OK || e.Error != tc.text ||
			res.Header.Get("Allow") != tc.allow {
			t.Errorf("%s %s: %d %q (Allow %q), want %d with %q (Allow %q)", tc.method, tc.path, res.StatusCode, body, res.Header.Get("Allow"), tc.code, tc.text, tc.allow)
		}
	}
	r.expect("GET", "/api/services/a/log", "", http.StatusOK)
	r.expect("HEAD", "/api/services/a/log", "", http.StatusOK)
}
