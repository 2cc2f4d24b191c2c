package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// BenchmarkUpgrade measures an upgrade in place of a cfkd running
// CFK_UPGRADE_N services (default 1,000, each with its two output pipes):
// the time from `command upgrade` to the new cfkd answering `command
// version`, upgrading back and forth between two builds (REFERENCE §13).
//
//	go test -run XXX -bench BenchmarkUpgrade -benchtime 10x ./integration/e2e/
func BenchmarkUpgrade(b *testing.B) {
	n := envInt("CFK_UPGRADE_N", 1000)
	newBin, _ := upgradeBins(b)
	d := startDaemon(b, filepath.Join(b.TempDir(), "home"))
	c := d.dial()
	for i := 0; i < n; i++ {
		c.ok(fmt.Sprintf("service s%d cmd=sleep 1000", i), fmt.Sprintf("service s%d startwait_secs=0.1", i))
	}
	c.ok("command start all")
	c = d.dial()
	c.until("all running", func() bool {
		for _, l := range c.ok("command status") {
			if strings.Split(l, "\t")[1] != "running" {
				return false
			}
		}
		return true
	})
	old := d.dial().version()
	bins := [][2]string{{newBin, "cfk " + newVersion}, {cfkdBin, old}}
	var total, worst time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		bin := bins[i%2]
		took := d.upgradeTo(bin[0], bin[1])
		total += took
		worst = max(worst, took)
	}
	b.StopTimer()
	b.ReportMetric(ms(total/time.Duration(b.N)), "upgrade-ms")
	b.ReportMetric(ms(worst), "worst-ms")
	b.ReportMetric(float64(n), "services")
	if got := len(d.dial().ok("command status")); got != n {
		b.Fatalf("%d services after the upgrades, want %d", got, n)
	}
}
