package actors

import (
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
	"github.com/sirupsen/logrus"
)

// A record cfkd writes past its logger, a log destination's "N lines
// dropped" (logconf.Router.OnDropNote), is an event of kind cfkd as its
// other warnings are (REFERENCE §1.6): an operator who watches events,
// not the file, learns that records were lost.
func TestCfkdEventFromOutsideTheLogger(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	all := r.tree.Subscribe(allSel, Backlog{})
	defer all.Close()
	now := time.Now()
	r.tree.CfkdEvent(&logrus.Entry{Time: now, Level: logrus.WarnLevel, Message: "18374 lines dropped",
		Data: logrus.Fields{"destination": "file:/var/log/cfkd.log"}})
	e, err := messages.ParseEvent(collect(t, all, 1)[0])
	if err != nil {
		t.Fatal(err)
	}
	if e.Kind != messages.EventCfkd || e.Level != "warn" || e.Message != "18374 lines dropped" {
		t.Errorf("event %+v, want a cfkd warning: 18374 lines dropped", e)
	}
}
