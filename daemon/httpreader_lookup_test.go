package daemon

import (
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/rights"
)

// The groups of a loopback peer that is not admin by its uid are looked
// up in the user database (REFERENCE §10.1); a name service that never
// answers (a dead LDAP or sssd) held the request for ever, and each
// request left a goroutine more. The lookup is bounded: past it the peer
// is in no group (only a token reads), and the requests that come
// meanwhile wait for the lookup in flight rather than starting another.
func TestHTTPReaderGroupLookupThatNeverAnswers(t *testing.T) {
	release := make(chan struct{})
	var calls atomic.Int32
	old, oldTimeout := userGroupIDs, readerLookupTimeout
	userGroupIDs = func(string) ([]string, error) {
		calls.Add(1)
		<-release
		return []string{"65534"}, nil
	}
	readerLookupTimeout = 50 * time.Millisecond
	t.Cleanup(func() { close(release); userGroupIDs, readerLookupTimeout = old, oldTimeout })

	rule := &actors.ConsolePolicy{AdminUIDs: []uint32{0}, Groups: []actors.GroupRight{{GID: 65534, Name: "nogroup", Level: rights.Read}}}
	read := httpReader(rule, func(local, remote netip.AddrPort) (uint32, error) { return 424242, nil })
	for i := range 2 {
		done := make(chan error, 1)
		go func() {
			done <- read(netip.MustParseAddrPort("127.0.0.1:80"), netip.MustParseAddrPort("127.0.0.1:5555"))
		}()
		select {
		case err := <-done:
			if err == nil {
				t.Fatalf("request %d: let in, want refused (no group known)", i+1)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("request %d: no answer in 10s (the lookup hangs)", i+1)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d lookups started, want 1", n)
	}
}
