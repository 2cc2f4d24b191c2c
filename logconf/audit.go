package logconf

import (
	"time"

	"github.com/sirupsen/logrus"
)

// Audit writes one audit record (REFERENCE §5.5) of cfkd's logger: msg at
// info level with the fields of data (category audit among them), exactly
// as the entry log.WithFields(data).Info(msg) would be written, routed
// the same way, but without the entry logrus makes and copies for each
// record, its lock and its hook list: a pipelined run of declarations
// makes a record a line (cfkd hands it to the actors as their
// actors.AuditLogger). It honours the logger's level like logrus does,
// and neither keeps nor changes data.
func (r *Router) Audit(data logrus.Fields, msg string) {
	if r.log == nil || !r.log.IsLevelEnabled(logrus.InfoLevel) {
		return
	}
	e := logrus.Entry{Logger: r.log, Data: data, Time: time.Now(), Level: logrus.InfoLevel, Message: msg}
	r.write(&e, originOf(&e, false))
}
