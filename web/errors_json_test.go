package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/rights"
)

// The API's errors are JSON (REFERENCE §10.1), the mux's own too: an
// unknown path under /api/ (and /api itself) and a method a path does
// not take answered text/plain (and the log's path offered POST, which
// it does not take); and a log count that is not a number (n=abc, n=-1) fell
// back to 20 silently instead of saying so, as a query that cannot be
// decoded (n=%zz) did, and an empty one (n=) still did; a number too
// big for an int was refused.
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
		{"GET", "/api", http.StatusNotFound, "", "not found: GET /api"},
		{"POST", "/api", http.StatusNotFound, "", "not found: POST /api"},
		{"GET", "/api/services/a/start", http.StatusMethodNotAllowed, "POST", "method not allowed: GET /api/services/a/start"},
		{"DELETE", "/api/services", http.StatusMethodNotAllowed, "GET, HEAD", "method not allowed: DELETE /api/services"},
		{"GET", "/api/services/a/log?n=abc", http.StatusBadRequest, "", `n="abc": want a whole number of lines`},
		{"GET", "/api/services/a/log?n=-1", http.StatusBadRequest, "", `n="-1": want a whole number of lines`},
		{"GET", "/api/services/a/log?n=%2B5", http.StatusBadRequest, "", `n="+5": want a whole number of lines`},
		{"GET", "/api/services/a/log?n=-0", http.StatusBadRequest, "", `n="-0": want a whole number of lines`},
		{"GET", "/api/services/a/log?n=0", http.StatusBadRequest, "", `n="0": want a whole number of lines`},
		{"GET", "/api/services/a/log?n=", http.StatusBadRequest, "", `n="": want a whole number of lines`},
		{"GET", "/api/services/a/log/follow?n", http.StatusBadRequest, "", `n="": want a whole number of lines`},
		{"GET", "/api/services/a/log/follow?n=x", http.StatusBadRequest, "", `n="x": want a whole number of lines`},
		{"GET", "/api/services/a/log?n=%zz", http.StatusBadRequest, "", `bad query: invalid URL escape "%zz"`},
		// the log's path takes GET and HEAD alone: the actions' route
		// (POST /api/services/{name}/{verb}) matched it too, its 405s
		// said "Allow: GET, HEAD, POST" and a POST there was a 404
		// "unknown action 'log'"
		{"POST", "/api/services/a/log", http.StatusMethodNotAllowed, "GET, HEAD", "method not allowed: POST /api/services/a/log"},
		{"OPTIONS", "/api/services/a/log", http.StatusMethodNotAllowed, "GET, HEAD", "method not allowed: OPTIONS /api/services/a/log"},
		{"PUT", "/api/services/a/log", http.StatusMethodNotAllowed, "GET, HEAD", "method not allowed: PUT /api/services/a/log"},
		{"POST", "/api/services/nope/log", http.StatusMethodNotAllowed, "GET, HEAD", "method not allowed: POST /api/services/nope/log"},
		{"POST", "/api/services/a/log/follow", http.StatusMethodNotAllowed, "GET, HEAD", "method not allowed: POST /api/services/a/log/follow"},
		{"POST", "/api/services/a/kill", http.StatusNotFound, "", "unknown action 'kill' (start, stop or restart)"},
		{"POST", "/api/services/a/logs", http.StatusNotFound, "", "unknown action 'logs' (start, stop or restart)"},
	} {
		res, body := doWithin(t, r, tc.method, tc.path, "s3cret-token")
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
	r.expect("HEAD", "/api/services/a/log", "", http.StatusOK)
	// a whole number too big for an int is still "at most 1,000"
	r.expect("GET", "/api/services/a/log?n=99999999999999999999", "", http.StatusOK)
}

// A path under /api/ with an empty, "." or ".." segment got ServeMux's
// 307 to its clean form, in HTML (/api/services//log, a NAME come out
// empty, was sent to the service "log"); it is a 404 in JSON, that acts
// on nothing (a POST was redirected as a POST). Outside /api/ the mux's
// redirect stays, and a refused reader is refused before either.
func TestAPIPathNotCleanIs404JSON(t *testing.T) {
	t.Parallel()
	logs := &fakeLogs{lines: map[string][]string{"a": {"one"}, "log": {"two"}}, follows: map[string][]chan string{}}
	r := newRig(t, Options{Token: "s3cret-token", Logs: logs})
	r.ok("service a cmd=sleep 100", "service log cmd=sleep 100")
	r.running("a")
	for _, tc := range []struct{ method, path string }{
		{"GET", "/api/services//log"},
		{"GET", "/api/services/./a"},
		{"GET", "/api/services/a/../log"},
		{"GET", "/api//services"},
		{"GET", "/api/../nothing"},
		{"GET", "/api/x/../nothing"},
		{"GET", "/static/../api/services"},
		{"GET", "/static/%2e%2e/api/services"},
		{"GET", "/api/services/a%2F%2E%2E%2Flog"},
		{"HEAD", "/api/services//log"},
		{"POST", "/api/services/a/./stop"},
		{"POST", "/api/services//a/stop"},
		{"POST", "//api/services/a/stop"},
	} {
		res, body := r.do(tc.method, tc.path, "s3cret-token")
		var e struct {
			OK    bool   `json:"ok"`
			Error string `json:"error"`
		}
		if res.StatusCode != http.StatusNotFound || res.Header.Get("Location") != "" ||
			res.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s %s: %d (Location %q, %s) %q, want a 404 in JSON", tc.method, tc.path, res.StatusCode,
				res.Header.Get("Location"), res.Header.Get("Content-Type"), body)
			continue
		}
		if tc.method == "HEAD" {
			continue
		}
		if json.Unmarshal([]byte(body), &e) != nil || e.OK || !strings.Contains(e.Error, "not found: "+tc.method+" "+tc.path+": ") {
			t.Errorf("%s %s: %q", tc.method, tc.path, body)
		}
	}
	if i := r.info("a"); i.State != messages.Running {
		t.Fatalf("a POST to a path not clean acted: a is %s", i.State)
	}
	// the clean paths are served
	r.expect("GET", "/api/services/a/log", "", http.StatusOK)
	// outside /api/, the mux's redirect to the clean path, no body of it
	res, _ := r.do("GET", "/static//app.js", "")
	if res.Request.URL.Path != "/static/app.js" || res.StatusCode != http.StatusOK {
		t.Fatalf("/static//app.js: %d at %s", res.StatusCode, res.Request.URL.Path)
	}
}

// Whatever the path, the read rule holds: a path under /api/ that is not
// clean is refused to a peer that may not read, before it is found
// wrong; the redirect of one outside /api/ that leads under it reads
// nothing, and its target is refused.
func TestAPIPathNotCleanReadRule(t *testing.T) {
	t.Parallel()
	toks, err := rights.ParseTokens("tokens", strings.NewReader("read read-token-0123456789abcdef\n"))
	if err != nil {
		t.Fatal(err)
	}
	r := newRig(t, Options{Tokens: rights.StoreOf(toks), Reader: (&readerRule{}).read, AuthDelay: time.Millisecond})
	r.ok("service a cmd=sleep 100 --secret-flag")
	for _, p := range []string{"/api/services//a", "/api/services/./a", "//metrics", "/static/../metrics", "/static/../api/services", "/api/../metrics"} {
		res, body := r.do("GET", p, "")
		if res.StatusCode/100 == 2 || strings.Contains(body, "secret-flag") || strings.Contains(body, "cfk_service_up") {
			t.Errorf("GET %s by a refused peer: %d at %s: %q", p, res.StatusCode, res.Request.URL, body)
		}
	}
	if body := r.expect("GET", "/api/services//a", "", http.StatusUnauthorized); !strings.Contains(body, "Authorization: Bearer TOKEN") {
		t.Fatalf("/api/services//a by a refused peer: %s", body)
	}
	r.expect("GET", "/api/services//a", "read-token-0123456789abcdef", http.StatusNotFound)
}

// The texts of the API's 404 and 405 named the path decoded and whole
// (/api%2Fservices was "not found: GET /api/services", a path that
// exists; a path of 3,000 bytes came back whole), and an unknown action
// its verb whole, odd bytes included; the path is shown as sent, the
// verb escaped, both cut.
func TestAPIErrorTextsShowThePathAsSent(t *testing.T) {
	t.Parallel()
	r := newRig(t, Options{Token: "s3cret-token"})
	r.ok("service a cmd=sleep 100")
	long := strings.Repeat("v", 3000)
	for _, tc := range []struct{ method, path, text string }{
		{"GET", "/api%2Fservices", "not found: GET /api%2Fservices"},
		{"GET", "/api/nope%00x", "not found: GET /api/nope%00x"},
		{"PUT", "/api/services/a/%0a", "method not allowed: PUT /api/services/a/%0a"},
		{"GET", "/api/" + long, "not found: GET /api/" + long[:251] + "..."},
		{"POST", "/api/services/a/st%00p", `unknown action 'st\x00p' (start, stop or restart)`},
		{"POST", "/api/services/a/" + long, "unknown action '" + long[:128] + "...' (start, stop or restart)"},
	} {
		res, body := r.do(tc.method, tc.path, "s3cret-token")
		var e struct {
			OK    bool   `json:"ok"`
			Error string `json:"error"`
		}
		if res.StatusCode/100 != 4 || json.Unmarshal([]byte(body), &e) != nil || e.OK || e.Error != tc.text {
			t.Errorf("%s %.40s: %d %.300q, want %.300q", tc.method, tc.path, res.StatusCode, body, tc.text)
		}
	}
}
