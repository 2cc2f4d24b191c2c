package proxyproc

import (
	"strings"
	"testing"

	"github.com/cfk/cfk/proxywire"
)

// A line of a service longer than one log line of the pipe comes in
// pieces of one log line each, PipeBuf bytes with their prefix
// (REFERENCE §6.4): 4,089 bytes for service "s". osproc cut it at 16 KiB,
// then EncodeLog each such piece at PipeBuf, so cfkd logged pieces of
// 4,089 bytes and one of 28 after every 16,384.
func TestLongLineInPiecesOfOneLogLine(t *testing.T) {
	r := newRig(t, nil, 0)
	r.waitLog("out:-:test proxy started")
	const long = 100000
	r.start(proxywire.Command{Name: "s", Cmd: `head -c 100000 /dev/zero | tr '\0' x; echo; echo after; exec sleep 30`})
	r.waitLog("out:s:after")
	room := proxywire.LogRoom(proxywire.StreamOut, "s")
	r.mu.Lock()
	var pieces []int
	for _, l := range r.logs {
		if msg, ok := strings.CutPrefix(l, "out:s:"); ok && msg != "after" {
			if strings.Trim(msg, "x") != "" {
				t.Errorf("piece %q..., want only x", msg[:min(len(msg), 20)])
			}
			pieces = append(pieces, len(msg))
		}
	}
	r.mu.Unlock()
	total := 0
	for _, n := range pieces {
		total += n
	}
	for i, n := range pieces[:max(0, len(pieces)-1)] {
		if n != room {
			t.Errorf("piece %d of %d is %d bytes, want %d: %v", i+1, len(pieces), n, room, pieces)
			break
		}
	}
	if total != long || len(pieces) != (long+room-1)/room {
		t.Errorf("%d pieces, %d bytes, want %d bytes in %d: %v", len(pieces), total, long, (long+room-1)/room, pieces)
	}
}
