package web

import (
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/rights"
	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"
)

// The HTTP actions skipped the audit (REFERENCE §5.5): a start by a token
// was logged under the category cfkd without the token's name, and the
// refusals (no token, a bad one, a read one) not at all, so an audit file
// (`audit = file:audit.log`) had none of them. Each is an audit record
// now, with the peer, the right and the token's name; those without a
// known token one a second, and a name cut (a 200 KB path made a record
// of 200 KB).
func TestHTTPActionsAudited(t *testing.T) {
	t.Parallel()
	r, hook := auditRig(t, "read reader-token-0123456789 viewer\noperate operator-token-0123456789 ops\n")
	var now atomic.Int64 // seconds; the handlers read it
	now.Store(1000)
	r.web.refusals.Now = func() time.Time { return time.Unix(now.Load(), 0) } // no request runs yet
	r.web.refusals.LateAfter = time.Hour                                      // the counts go with the records, never late
	r.ok("service a cmd=sleep 100", "service a startwait_secs=0.01")
	r.expect("POST", "/api/services/a/start", "", http.StatusForbidden)
	// refusals without a known token: one record a second (anyone may send them)
	r.expect("POST", "/api/services/a/start", "no-such-token-0123456789", http.StatusUnauthorized)
	r.expect("POST", "/api/services/a/kill", "", http.StatusNotFound)
	now.Add(1)
	r.expect("POST", "/api/services/a/start", "no-such-token-0123456789", http.StatusUnauthorized)
	r.expect("POST", "/api/services/a/start", "reader-token-0123456789", http.StatusForbidden)
	r.expect("POST", "/api/services/a/start", "operator-token-0123456789", http.StatusOK)
	long := strings.Repeat("a", 200<<10) // a valid name: cut too
	r.expect("POST", "/api/services/"+long+"/start", "reader-token-0123456789", http.StatusForbidden)
	want := []struct {
		level        logrus.Level
		msg          string
		right, token string
	}{
		{logrus.WarnLevel, "not authorized: command start service a (no token)", "none", ""},
		{logrus.WarnLevel, "not authorized: command start service a (a bad token) (2 more refused since the last record)", "none", ""},
		{logrus.WarnLevel, "not authorized: command start service a (needs operate)", "read", "viewer"},
		{logrus.InfoLevel, "command start service a", "operate", "ops"},
		{logrus.WarnLevel, "not authorized: command start service " + strconv.Quote(long[:128]) + " (needs operate)", "read", "viewer"},
	}
	got := hook.AllEntries()
	if len(got) != len(want) {
		for _, e := range got {
			t.Logf("%v %s %v", e.Level, e.Message, e.Data)
		}
		t.Fatalf("%d records, want %d", len(got), len(want))
	}
	for i, w := range want {
		e := got[i]
		token, _ := e.Data["token"].(string)
		if e.Level != w.level || e.Message != w.msg || e.Data["category"] != actors.AuditCategory || e.Data["right"] != w.right || token != w.token ||
			!strings.HasPrefix(e.Data["peer"].(string), "http:127.0.0.1:") {
			t.Errorf("record %d: %v %q %v, want %v %q right=%s token=%q", i, e.Level, e.Message, e.Data, w.level, w.msg, w.right, w.token)
		}
	}
}

// A token holder's POST of an unknown action (`/api/services/a/kill`) was
// audited as anonymous (right=none, no token), and only when no refusal
// without a token had been recorded in the same second: an operator's
// typo looked like anyone's probe, or left no record at all. It is
// recorded under its token now, whatever the refusals of others; one
// without a known token still counts among those, one a second.
func TestHTTPUnknownActionAuditedWithItsToken(t *testing.T) {
	t.Parallel()
	r, hook := auditRig(t, "read reader-token-0123456789 viewer\noperate operator-token-0123456789 ops\n")
	r.web.refusals.Now = func() time.Time { return time.Unix(1000, 0) } // one second all along
	r.web.refusals.LateAfter = time.Hour                                // nothing logged late
	r.ok("service a cmd=sleep 100")
	r.expect("POST", "/api/services/a/start", "", http.StatusForbidden)                            // recorded: the second's one
	r.expect("POST", "/api/services/a/kill", "", http.StatusNotFound)                              // kept back
	r.expect("POST", "/api/services/a/kill", "no-such-token-0123456789", http.StatusNotFound)      // kept back
	r.expect("POST", "/api/services/a/kill", "operator-token-0123456789", http.StatusNotFound)     // its token's
	r.expect("POST", "/api/services/a/restart%0a", "reader-token-0123456789", http.StatusNotFound) // its token's
	want := []refusal{
		{"not authorized: command start service a (no token)", "none", ""},
		{`not authorized: unknown action "kill" of service a`, "operate", "ops"},
		{`not authorized: unknown action "restart\n" of service a`, "read", "viewer"},
	}
	expectRefusals(t, hook.AllEntries(), want)
}

// A request that would act and names no action (a POST to a path that is
// not an action's, a DELETE of one) was answered 404 or 405 and audited
// not at all: someone's tries at the API left no trace. Each is a refusal
// now, under the token it carries when that is one of the file's, else
// one a second as the refusals with no known token; a GET of an unknown
// path only reads, and is not audited.
func TestHTTPUnroutedRequestsAudited(t *testing.T) {
	t.Parallel()
	r, hook := auditRig(t, "operate operator-token-0123456789 ops\n")
	r.web.refusals.Now = func() time.Time { return time.Unix(1000, 0) } // one second all along
	r.web.refusals.LateAfter = time.Hour                                // nothing logged late
	r.ok("service a cmd=sleep 100")
	const op = "operator-token-0123456789"
	r.expect("GET", "/api/nothing", op, http.StatusNotFound)
	r.expect("POST", "/api/services/a", op, http.StatusMethodNotAllowed)
	r.expect("POST", "/api/services/a/start/", op, http.StatusNotFound)
	r.expect("DELETE", "/api/services/a/stop", op, http.StatusMethodNotAllowed)
	r.expect("POST", "/metrics", op, http.StatusMethodNotAllowed)
	r.expect("POST", "/api/shutdown", "", http.StatusNotFound)
	r.expect("POST", "/api/upgrade", "", http.StatusNotFound) // kept back: the second's record is taken
	want := []refusal{
		{`not authorized: no such action: POST "/api/services/a"`, "operate", "ops"},
		{`not authorized: no such action: POST "/api/services/a/start/"`, "operate", "ops"},
		{`not authorized: no such action: DELETE "/api/services/a/stop"`, "operate", "ops"},
		{`not authorized: no such action: POST "/metrics"`, "operate", "ops"},
		{`not authorized: no such action: POST "/api/shutdown"`, "none", ""},
	}
	expectRefusals(t, hook.AllEntries(), want)
}

// auditRig is a rig whose HTTP side knows the tokens of the token file
// text tokens, and whose log (the audit records) hook holds.
func auditRig(t *testing.T, tokens string) (*rig, *logtest.Hook) {
	t.Helper()
	toks, err := rights.ParseTokens("tokens", strings.NewReader(tokens))
	if err != nil {
		t.Fatal(err)
	}
	log, hook := logtest.NewNullLogger()
	return newRig(t, Options{Tokens: rights.StoreOf(toks), Log: log}), hook
}

// refusal is an audit record of a refused request the tests expect.
type refusal struct {
	msg          string
	right, token string
}

// expectRefusals checks that got are the WARN audit records want, in order.
func expectRefusals(t *testing.T, got []*logrus.Entry, want []refusal) {
	t.Helper()
	if len(got) != len(want) {
		for _, e := range got {
			t.Logf("%v %s %v", e.Level, e.Message, e.Data)
		}
		t.Fatalf("%d records, want %d", len(got), len(want))
	}
	for i, w := range want {
		e := got[i]
		token, _ := e.Data["token"].(string)
		if e.Level != logrus.WarnLevel || e.Message != w.msg || e.Data["category"] != actors.AuditCategory || e.Data["right"] != w.right || token != w.token {
			t.Errorf("record %d: %v %q %v, want WARN %q right=%s token=%q", i, e.Level, e.Message, e.Data, w.msg, w.right, w.token)
		}
	}
}
