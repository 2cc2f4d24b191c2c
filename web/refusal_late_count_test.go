package web

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/actors"
	"github.com/sirupsen/logrus"
)

// The count of the requests refused with no known token in the last
// second of a flood is audited once it ends: it went only with the next
// record of such a refusal, and when none came it was never logged, so
// that 8 POSTs without a token in a burst left one record, as if one
// had come (REFERENCE §5.5, §10.1).
func TestHTTPRefusalsCountLoggedWhenTheyEnd(t *testing.T) {
	t.Parallel()
	r, hook := auditRig(t, "operate operator-token-0123456789 ops\n")
	logged := make(chan struct{}, 1) // a record came since the last look
	r.web.o.Log.AddHook(onFire(func(*logrus.Entry) {
		select {
		case logged <- struct{}{}:
		default:
		}
	}))
	// one second all along: the first refusal is audited, the others
	// kept back, and no record comes to carry their count; it is
	// logged 100ms after the first (a slow burst: in two counts)
	r.web.refusals.Now = func() time.Time { return time.Unix(1000, 0) }
	r.web.refusals.LateAfter = 100 * time.Millisecond
	r.ok("service a cmd=sleep 100")
	const n = 8
	for range n {
		r.expect("POST", "/api/services/a/start", "", http.StatusForbidden)
	}
	late := regexp.MustCompile(`^http: (\d+) more requests refused since the last record, not logged$`)
	counted := func() (int, string) {
		sum, text := 0, ""
		for _, e := range hook.AllEntries() {
			text += e.Message + "\n"
			if e.Data["category"] != actors.AuditCategory {
				continue
			}
			if strings.HasPrefix(e.Message, "not authorized: ") {
				sum++
			}
			if m := late.FindStringSubmatch(e.Message); m != nil {
				k, _ := strconv.Atoi(m[1])
				sum += k
			}
		}
		return sum, text
	}
	deadline := time.After(10 * time.Second)
	for {
		got, text := counted()
		switch {
		case got == n:
			return
		case got > n:
			t.Fatalf("%d refusals counted in the audit records, want %d:\n%s", got, n, text)
		}
		select {
		case <-logged:
		case <-deadline:
			t.Fatalf("%d refusals counted in the audit records after 10s, want %d:\n%s", got, n, text)
		}
	}
}

// onFire is a logrus hook of every level that calls f.
type onFire func(*logrus.Entry)

func (onFire) Levels() []logrus.Level       { return logrus.AllLevels }
func (f onFire) Fire(e *logrus.Entry) error { f(e); return nil }
