package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/internal/testkit"
)

// The members of a group with read (or operate) cannot lock root out of
// the UNIX console by holding every connection's place, which no idle
// timeout frees there: the last places are kept for admin peers, and one
// member holds at most half of them, so that it cannot lock the other
// members out either (REFERENCE §5.4). Before, nobody in --admin-group
// GID:read with as many `cfkctl events` as --max-connections left root
// `too many connections`, and later the other members.
func TestGroupMembersCannotLockRootOut(t *testing.T) {
	needRoot(t)
	const (
		max   = 8 // 2 kept for admin peers, 4 a member
		other = 65533
	)
	top := sharedDir(t)
	home := filepath.Join(top, "home")
	d := startDaemon(t, home, "--admin-group", strconv.Itoa(adminGID)+":read", "--max-connections", strconv.Itoa(max))
	// once a member holds every place it may take, its next connection
	// is refused: nobody's as one past its share, the other member's as
	// one past the members' places; each asks again until its refusal is
	// logged (a second one within a second of the one before is not)
	for _, m := range []struct {
		uid uint32
		ok  int
		log string
	}{
		{nobodyUID, max / 2, "connection refused: too many connections (uid 65534 holds 4: the most a peer that is not admin may, half of the 8 places"},
		{other, 2, "connection refused: too many connections (6 open: the other 2 places are kept for admin peers"}, // then ")" or "; N more refused..."
	} {
		child := testkit.StartAs(t, m.uid, adminGID, "TestRunAsConsolePlaceHolder",
			"CONSPLACES_NET=unix", "CONSPLACES_ADDR="+d.sock, "CONSPLACES_OK="+strconv.Itoa(m.ok))
		t.Cleanup(func() { child.Stdin.Close(); child.Wait() })
		for said, end := "", time.Now().Add(2*deadline); !strings.Contains(readLog(home), m.log); {
			if said != "" {
				child.Stdin.Write([]byte("again\n"))
			}
			select {
			case said = <-child.Lines:
			case <-time.After(time.Until(end)):
			}
			if said != "held" && said != "refused" || time.Now().After(end) {
				t.Fatalf("uid %d: %q, or not logged %q:\n%s", m.uid, said, m.log, readLog(home))
			}
		}
	}
	c := d.dial() // root
	if r, err := c.try("command version"); err != nil || r.Err != nil {
		t.Fatalf("root, with the members holding their places: %+v, %v", r, err)
	}
}

// TestRunAsConsolePlaceHolder is the other user's client of
// TestTCPReadTokenShare and TestGroupMembersCannotLockRootOut: it holds
// CONSPLACES_OK places of the console CONSPLACES_ADDR (TCP, or
// CONSPLACES_NET) with the token CONSPLACES_TOKEN (none on UNIX), and is
// refused one more (testkit).
func TestRunAsConsolePlaceHolder(t *testing.T) {
	if os.Getenv(testkit.RunAsEnv) == "" {
		t.Skip("run by StartAs only")
	}
	n, _ := strconv.Atoi(os.Getenv("CONSPLACES_OK"))
	network := os.Getenv("CONSPLACES_NET")
	if network == "" {
		network = "tcp"
	}
	testkit.HoldConsolePlaces(network, os.Getenv("CONSPLACES_ADDR"), os.Getenv("CONSPLACES_TOKEN"), n)
}
