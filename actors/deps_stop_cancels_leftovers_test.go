package actors

import (
	"slices"
	"testing"
)

// The stop of a down service whose waiting start it cancelled (REFERENCE
// §2.8) is a stop: answered as a down (done 1), it ends the daemons the
// service's earlier runs left, as any stop of a down service (§2.2,
// §7.5). It was sent as a down, which leaves them.
func TestStopThatCancelledAStartEndsLeftovers(t *testing.T) {
	t.Parallel()
	r := stopWhileStartWaits(t, "1.5")
	r.fake.waitFor(t, "EndLeftovers(app)", func() bool { return slices.Contains(r.fake.destroyed, "app") })
}
