package logconf

import (
	"strings"
	"testing"

	"github.com/sirupsen/logrus"
)

// The audit records (category audit, REFERENCE §5.5) go where the audit
// key says, and with cfkd's events when it is absent.
func TestAuditRouting(t *testing.T) {
	fixedClock(t)
	f := newFixture(t)
	f.apply(t, "cfkd = file:cfkd.log\naudit = file:audit.log\n")
	f.log.Info("starting web1")
	f.log.WithFields(logrus.Fields{"category": AuditCategory, "peer": "unix:uid=0,pid=7", "right": "admin"}).
		Info("command stop service web1")
	wantFile(t, f, "cfkd.log", "- INFO cfkd - starting web1")
	wantFile(t, f, "audit.log", "- INFO audit - command stop service web1 peer=\"unix:uid=0,pid=7\" right=admin")

	f.apply(t, "cfkd = file:cfkd.log\naudit = none\n")
	f.log.WithField("category", AuditCategory).Info("dropped")
	f.apply(t, "cfkd = file:all.log\n")
	f.log.WithField("category", AuditCategory).Warn("not authorized")
	wantFile(t, f, "all.log", "- WARN audit - not authorized")
	wantFile(t, f, "audit.log", "- INFO audit - command stop service web1 peer=\"unix:uid=0,pid=7\" right=admin")

	if _, err := Parse("c", strings.NewReader("audit = somewhere\n")); err == nil ||
		err.Error() != `c:1: bad destination "somewhere" (want file:PATH, stderr, stdout or none)` {
		t.Errorf("bad audit destination: %v", err)
	}
	cfg, err := Parse("c", strings.NewReader(DefaultText()))
	if err != nil || cfg.auditSet || cfg.auditDest() != cfg.cfkd {
		t.Errorf("default audit destination: %v %v", cfg, err)
	}
}
