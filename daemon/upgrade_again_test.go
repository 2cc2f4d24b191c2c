package daemon

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
	"github.com/sirupsen/logrus"
)

// An upgrade refused is over when its answer is sent: the client that
// reads it and asks again at once is not told that an upgrade is already
// under way (REFERENCE §13.4: a failure before the exec changes
// nothing). The second upgrade is asked from within the first one's
// answer, the earliest a client could.
func TestUpgradeRefusedMayBeAskedAgainAtOnce(t *testing.T) {
	log := logrus.New()
	log.SetOutput(io.Discard)
	u := &upgrader{log: log, serving: make(chan struct{}), startFailed: make(chan struct{})}
	close(u.startFailed) // run refuses at once: cfkd is still starting
	answers := make(chan messages.Reply, 2)
	u.hook("/nonexistent/cfkd", func(r messages.Reply) {
		answers <- r
		u.hook("/nonexistent/cfkd", func(r messages.Reply) { answers <- r })
	})
	for i := range 2 {
		select {
		case r := <-answers:
			if r.Err == nil || !strings.Contains(r.Err.Error(), "cfkd is still starting") {
				t.Errorf("answer %d: %v, want the refusal of a cfkd still starting", i+1, r.Err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("answer %d never came", i+1)
		}
	}
}
