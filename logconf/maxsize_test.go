package logconf

import (
	"strings"
	"testing"
)

// TestHugeMaxSizeRefused: max_size_mb is "a whole number >= 0"
// (REFERENCE §6.1). A value Parse accepts must either work (records are
// written) or be refused with the documented error; 2^43 MiB overflows
// the int64 byte count (MaxSize * 1 MiB): every write was then
// "longer than the maximum file size", and every record lost.
func TestHugeMaxSizeRefused(t *testing.T) {
	f := newFixture(t)
	text := "cfkd = file:cfkd.log\nmax_size_mb = 8796093022208\n"
	cfg, err := Parse("log.config", strings.NewReader(text))
	if err != nil {
		if !strings.Contains(err.Error(), `bad max_size_mb "8796093022208"`) {
			t.Fatalf("refused with %v", err)
		}
		return // refused: fine
	}
	if err := f.r.Apply(cfg); err != nil {
		t.Fatalf("accepted by Parse, refused by Apply: %v", err)
	}
	f.log.Info("hello")
	f.r.Sync()
	if got := f.read(t, "cfkd.log"); !strings.Contains(got, "hello") {
		t.Errorf("max_size_mb = 8796093022208 accepted, but cfkd.log = %q; write errors %v; reported %q",
			got, f.r.WriteErrors(), f.report.String())
	}
}
