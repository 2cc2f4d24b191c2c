package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/cfk/cfk/internal/testkit"
)

// A real cfkd whose services' log destination, a FIFO, loses its reader
// for a while: its lines are lost, and cfkd's log says how many once a
// reader is back; /metrics said nothing of it. Its
// cfk_log_records_lost_total{destination} now counts them, as many as
// the log says (REFERENCE §6.2, §10.2).
func TestHTTPMetricsLogRecordsLost(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "svc.fifo")
	testkit.MakeFIFO(t, fifo)
	stop := testkit.DrainFIFO(t, fifo) // cfkd opens it only with a reader
	writeFileE2E(t, filepath.Join(home, "log.config"), "services = file:"+fifo+"\n")
	d := startDaemon(t, home, "--http", "127.0.0.1:0")
	url := d.httpURL()
	c := d.dial()
	c.ok(`service t cmd=sh -c 'while :; do echo tick; sleep 0.02; done'`, "command start all")
	c.until("t running", func() bool { return c.status("t")[1] == "running" })
	const name = "cfk_log_records_lost_total"
	dest := "destination=file:" + fifo
	if v := metric(scrape(t, url), name, dest); v != 0 {
		t.Fatalf("%s{%s} = %v before any loss, want 0", name, dest, v)
	}
	if v := metric(scrape(t, url), "cfk_log_records_dropped_total", dest); v != 0 {
		t.Fatalf("cfk_log_records_dropped_total{%s} = %v, want 0", dest, v)
	}

	logHas := func(what string, re *regexp.Regexp) []byte {
		t.Helper()
		var m [][]byte
		c.until(what, func() bool {
			b, _ := os.ReadFile(filepath.Join(home, "cfkd.log"))
			m = re.FindSubmatch(b)
			return m != nil
		})
		return m[1]
	}
	stop() // no reader: t's lines are lost (EPIPE)
	logHas("the failure logged", regexp.MustCompile(`WARN cfkd - log destination fails: (.*) destination=`+regexp.QuoteMeta("file:"+fifo)))
	c.until("lines lost", func() bool { return metric(scrape(t, url), name, dest) > 2 })
	testkit.DrainFIFO(t, fifo)
	n, _ := strconv.Atoi(string(logHas("the recovery logged",
		regexp.MustCompile(`INFO cfkd - log destination writable again \((\d+) records lost so far\) destination=`+regexp.QuoteMeta("file:"+fifo)))))
	if v := metric(scrape(t, url), name, dest); n < 3 || v != float64(n) {
		t.Fatalf("%s{%s} = %v, the log says %d lost", name, dest, v, n)
	}
}
