package web

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/actors"
)

// The count of the requests refused with no known token in the last
// second of a flood is audited once it ends: it went only with the next
// record of such a refusal, and when none came it was never logged, so
// that 8 POSTs without a token in a burst left one record, as if one
// had come (REFERENCE §5.5, §10.1).
func TestHTTPRefusalsCountLoggedWhenTheyEnd(t *testing.T) {
	t.Parallel()
	r, hook := auditRig(t, "operate operator-token-0123456789 ops\n")
	r.ok("service a cmd=sleep 100")
	const n = 8
	for range n { // no token: no auth delay, the burst is of one second
		r.expect("POST", "/api/services/a/start", "", http.StatusForbidden)
	}
	carried := regexp.MustCompile(`^not authorized: .* \((\d+) more refused since the last record\)$`)
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
			for _, re := range []*regexp.Regexp{carried, late} {
				if m := re.FindStringSubmatch(e.Message); m != nil {
					k, _ := strconv.Atoi(m[1])
					sum += k
				}
			}
		}
		return sum, text
	}
	end := time.Now().Add(20 * time.Second)
	for {
		got, text := counted()
		if got == n {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("%d refusals counted in the audit records, want %d:\n%s", got, n, text)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
