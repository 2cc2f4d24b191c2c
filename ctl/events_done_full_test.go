package ctl

import (
	"bytes"
	"strings"
	"testing"
)

// TestEventsJSONDoneLineWriteErrorFails: REFERENCE §8.3, a write to
// stdout that fails is the command's failure. `cfkctl --json events >
// FILE` on a full disk, of a stream a shutdown ended before any event,
// wrote nothing (its one line, the end line, failed to be written) and
// exited 0: the write error of that line was dropped.
func TestEventsJSONDoneLineWriteErrorFails(t *testing.T) {
	f := streamServer(t, map[string]string{"command events all": shutEnd})
	var stderr bytes.Buffer
	code := run([]string{"--json", "events"}, fullStdout(f.addr, &stderr))
	if code != ExitError || !strings.Contains(stderr.String(), "no space left on device") {
		t.Errorf("cfkctl --json events > /dev/full: exit %d, stderr %q; want exit %d and no space left on device", code, stderr.String(), ExitError)
	}
}
