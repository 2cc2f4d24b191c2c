package daemon

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/cfk/cfk/upgrade"
)

// TestRollBackTakenNeedsAStateTheFormerReads: the rollback after the
// takeover writes this cfkd's state version; a former cfkd that wrote an
// older one (and reads none newer) is not exec'd (REFERENCE §13.4).
func TestRollBackTakenNeedsAStateTheFormerReads(t *testing.T) {
	u := &upgrader{}
	err := u.rollBack(nil, &former{fd: -1}, upgrade.Version()-1, Flags{}, errors.New("boom"))
	if err == nil || !strings.Contains(err.Error(), "the former cfkd reads states of version "+strconv.Itoa(upgrade.Version()-1)+" at most") {
		t.Fatalf("rollback to a former cfkd of an older state: %v", err)
	}
}
