package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/rights"
	"github.com/sirupsen/logrus/hooks/test"
)

// Each refusal audited with the request's method and path writes them in
// one spelling (REFERENCE §5.5: `not authorized: no such action: POST
// "/api/shutdown"`): the path decoded, cut at 128 bytes, quoted as a Go
// string, so that a byte of the path (a quote, a newline) cannot end or
// forge a record, and a long path does not make one as long.
func TestAuditedRequestIsOneSpelling(t *testing.T) {
	t.Parallel()
	toks, err := rights.ParseTokens("tokens", strings.NewReader("operate operator-token-0123456789 ops\n"))
	if err != nil {
		t.Fatal(err)
	}
	log, hook := test.NewNullLogger()
	rule := &readerRule{} // refuses: a GET without a token is audited
	r := newRig(t, Options{Tokens: rights.StoreOf(toks), Reader: rule.read, Log: log})
	var now atomic.Int64 // seconds: each refusal is the first of its second
	r.web.refusals.Now = func() time.Time { return time.Unix(now.Add(1), 0) }
	r.web.refusals.LateAfter = time.Hour

	odd := "a\"b\nc" + strings.Repeat("x", 200)
	spelt := func(method, path string) string { // the reference's spelling
		return method + " " + strconv.Quote(path[:128])
	}
	logPath := "/api/services/" + odd + "/log"
	unclean := "/api/services//" + odd
	unknown := "/api/" + odd
	for _, tc := range []struct {
		method, path, query string
		twoAuth             bool
		want                string
	}{
		{"GET", logPath, "", false, "not authorized: " + spelt("GET", logPath) +
			" (uid 65534 is not root, cfkd's user nor a member of an admin group)"},
		{"GET", logPath, "?token=x", false, "not authorized: " + spelt("GET", logPath) + " (a token in the URL)"},
		{"GET", logPath, "", true, "not authorized: " + spelt("GET", logPath) + " (2 Authorization headers)"},
		{"POST", unclean, "", false, "not authorized: no such action: " + spelt("POST", unclean)},
		{"POST", unknown, "", false, "not authorized: no such action: " + spelt("POST", unknown)},
	} {
		hook.Reset()
		u := r.http.URL + (&url.URL{Path: tc.path}).EscapedPath() + tc.query
		req, err := http.NewRequest(tc.method, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		if tc.twoAuth {
			req.Header.Add("Authorization", "Bearer a")
			req.Header.Add("Authorization", "Bearer b")
		}
		res, err := r.http.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		var got []string
		for _, e := range hook.AllEntries() {
			if e.Data["category"] == actors.AuditCategory {
				got = append(got, e.Message)
			}
		}
		if len(got) != 1 || got[0] != tc.want {
			t.Errorf("%s %q%s (%d): audited %q, want %q", tc.method, tc.path[:24], tc.query, res.StatusCode, got, tc.want)
		}
	}
}
