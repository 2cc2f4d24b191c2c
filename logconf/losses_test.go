package logconf

import (
	"os"
	"slices"
	"testing"
)

// The records a destination lost are counted from when it was configured,
// across the reloads that keep it (logrotate's SIGUSR1 opens every file
// afresh: its count began at 0 again at each, and /metrics' counter with
// it); every current destination is listed, zeros included, and one a
// reload removes is gone (REFERENCE §10.2).
func TestLossesGoOnAcrossReloads(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	f := newFixture(t)
	conf := "cfkd = file:cfkd.log\nservices = file:/dev/full\n"
	f.apply(t, conf)
	lines := func(n int) {
		for range n {
			f.line("w", "out", 1, "lost")
		}
		f.r.Sync()
	}
	want := func(what string, losses ...Loss) {
		t.Helper()
		if got := f.r.Losses(); !slices.Equal(got, losses) {
			t.Errorf("%s: Losses = %+v, want %+v", what, got, losses)
		}
	}
	cfkdLog := "file:" + f.home + "/cfkd.log"
	lines(7)
	want("before a reload", Loss{Destination: "file:/dev/full", Lost: 7}, Loss{Destination: cfkdLog})
	f.apply(t, conf)
	lines(5)
	want("after a reload that keeps it", Loss{Destination: "file:/dev/full", Lost: 12}, Loss{Destination: cfkdLog})
	if got := f.r.WriteErrors()["file:/dev/full"]; got != 12 {
		t.Errorf("WriteErrors = %d, want 12", got)
	}
	f.apply(t, "cfkd = file:cfkd.log\nservices = stdout\n")
	want("after a reload that removes it", Loss{Destination: cfkdLog}, Loss{Destination: "stdout"})
}
