package actors

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/proxywire"
	"github.com/sirupsen/logrus"
)

// A proxy that floods status lines which parse but name nothing cfkd
// started (the exit of an unknown service, a started of one, the same
// started again: a proxy's bug, in a loop) has them logged once a second
// at most, as bad status lines are, the next record saying how many were
// not: each was an ERROR record of cfkd's own (and an event), and such a
// proxy wrote a million of them in 5 s, 114 MB of cfkd's log. The lines
// are still handled: the service's own started, after them, is taken.
func TestProxyStrayStatusLinesLoggedOnceASecond(t *testing.T) {
	t.Parallel()
	rec := &records{}
	log := logrus.New()
	log.SetOutput(io.Discard)
	log.AddHook(rec)
	r, p, _ := proxiedStartingWith(t, "5", func(o *Options) { o.Log = log })
	p.command() // the start of s
	began := time.Now()
	var burst []byte
	for i := range maxProxyStatusLines + 10 {
		switch i % 2 {
		case 0:
			burst = append(burst, proxywire.EncodeStatus(proxywire.Status{Status: proxywire.StatusStopped, Name: "ghost", Pid: 777})...)
		default:
			// not the proxy's child (the test's own pid): no handle
			burst = append(burst, proxywire.EncodeStatus(proxywire.Status{Status: proxywire.StatusStarted, Name: "ghost", Pid: 1})...)
		}
	}
	// within the pipe's buffer: the write does not wait for cfkd, which
	// reads maxProxyStatusLines of them, then the rest as it handles them
	if _, err := p.statusW.Write(burst); err != nil {
		t.Fatal(err)
	}
	p.started("s", 402) // a line after them: once it is handled, they were
	if ev := r.expectSeq("s", running); ev[0].Pid != 402 {
		t.Fatalf("s runs as pid %d, want 402", ev[0].Pid)
	}
	most := 1 + int(time.Since(began)/time.Second) // one a second: one, unless this host stalled the burst that long
	text := rec.text()
	n := strings.Count(text, "unknown service 'ghost'")
	if n < 1 || n > most {
		t.Errorf("%d records of stray status lines for %d in a burst, want 1 to %d:\n%s", n, maxProxyStatusLines+10, most, text)
	}
}
