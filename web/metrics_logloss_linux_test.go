package web

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/internal/testkit"
	"github.com/cfk/cfk/logconf"
	dto "github.com/prometheus/client_model/go"
	"github.com/sirupsen/logrus"
)

// A log destination's lost and dropped records were counted and said in
// cfkd's log, but /metrics said nothing: no alert on a cfkd that loses
// log lines. cfk_log_records_dropped_total and
// cfk_log_records_lost_total say them, per destination, as many as the
// log says (REFERENCE §6.2, §10.2): cfkd's events past the bound of a
// FIFO nobody reads, then the lines of the services' FIFO while it has no
// reader.
func TestMetricsLogLosses(t *testing.T) {
	dir := t.TempDir()
	cfkdFIFO, svcFIFO := filepath.Join(dir, "cfkd.fifo"), filepath.Join(dir, "svc.fifo")
	testkit.MakeFIFO(t, cfkdFIFO)
	testkit.MakeFIFO(t, svcFIFO)
	cfkdRd, svcRd := testkit.OpenFIFO(t, cfkdFIFO), testkit.OpenFIFO(t, svcFIFO) // cfkd opens them only with a reader; nothing read until Start
	log := logrus.New()
	router := logconf.NewRouter(dir, log, log)
	t.Cleanup(func() { router.Close() }) // before the readers' stop (cleanups run last first)
	cfg, err := logconf.Parse("log.config", strings.NewReader("cfkd = file:cfkd.fifo\nservices = file:svc.fifo\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := router.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	r := newRig(t, Options{LogLosses: router.Losses})
	const lost, dropped = "cfk_log_records_lost_total", "cfk_log_records_dropped_total"
	cfkdDest, svcDest := "destination=file:"+cfkdFIFO, "destination=file:"+svcFIFO
	fams := r.scrape()
	for _, name := range []string{lost, dropped} {
		if f := fams[name]; f == nil || f.GetType() != dto.MetricType_COUNTER || len(f.Metric) != 2 || !strings.Contains(f.GetHelp(), "log destination") {
			t.Fatalf("%s: %v, want a counter for each of the two destinations", name, f)
		}
		r.want(fams, 0, name, cfkdDest)
		r.want(fams, 0, name, svcDest)
	}

	// cfkd's events to a FIFO nobody reads: dropped past the bound
	big := strings.Repeat("e", 10<<10)
	drops := func() uint64 { return router.Dropped()["file:"+cfkdFIFO] }
	end := time.Now().Add(10 * time.Second)
	for drops() == 0 {
		log.Info("event " + big)
		if time.Now().After(end) {
			t.Fatal("no drop after 10s of events to a FIFO nobody reads")
		}
	}
	for range 99 {
		log.Info("dropped too " + big)
	}
	fams = r.scrape()
	r.want(fams, 100, dropped, cfkdDest)
	r.want(fams, 0, dropped, svcDest)
	// read: the log says how many
	cfkdRd.Start()
	said := cfkdRd.Until(t, regexp.MustCompile(`WARN cfkd - (\d+) lines dropped destination=`+regexp.QuoteMeta("file:"+cfkdFIFO)), 10*time.Second)
	r.want(r.scrape(), num(t, said), dropped, cfkdDest)

	// the services' FIFO loses its reader: its lines are lost (EPIPE)
	svcRd.Stop()
	for range 7 {
		router.ServiceLine("web", "out", 42, []byte("lost"))
	}
	router.Sync()
	fams = r.scrape()
	r.want(fams, 7, lost, svcDest)
	r.want(fams, 0, lost, cfkdDest)
	// a reader again: the next line is taken, and the log says how many
	// were lost
	testkit.OpenFIFO(t, svcFIFO)
	router.ServiceLine("web", "out", 42, []byte("taken"))
	said = cfkdRd.Until(t, regexp.MustCompile(`INFO cfkd - log destination writable again \((\d+) records lost so far\) destination=`+regexp.QuoteMeta("file:"+svcFIFO)), 10*time.Second)
	r.want(r.scrape(), num(t, said), lost, svcDest)

	// a reload that removes the services' FIFO: its series go
	cfg, err = logconf.Parse("log.config", strings.NewReader("cfkd = file:cfkd.fifo\nservices = none\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := router.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	fams = r.scrape()
	for _, name := range []string{lost, dropped} {
		if _, ok := value(fams, name, svcDest); ok {
			t.Errorf("%s of a destination the reload removed is still there", name)
		}
	}
	r.want(fams, 100, dropped, cfkdDest)
}

func num(t *testing.T, s string) float64 {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return float64(n)
}

// A log destination whose path is not UTF-8 (a directory named in
// Latin-1, say) was written as it is into a label value, which must be
// UTF-8: Prometheus refused the whole scrape ("invalid label value"), so
// that every metric of cfkd was lost. Its label writes each such byte
// U+FFFD, as the JSON records do (REFERENCE §6.2, §10.2).
func TestMetricsDestinationNotUTF8(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "logs\xffé")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	log := logrus.New()
	router := logconf.NewRouter(dir, log, log)
	t.Cleanup(func() { router.Close() })
	cfg, err := logconf.Parse("log.config", strings.NewReader("cfkd = file:cfkd.log\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := router.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	r := newRig(t, Options{LogLosses: router.Losses})
	fams := r.scrape() // fails the test when the text does not parse
	want := "destination=file:" + strings.ReplaceAll(dir, "\xff", "\uFFFD") + "/cfkd.log"
	r.want(fams, 0, "cfk_log_records_lost_total", want)
	r.want(fams, 0, "cfk_log_records_dropped_total", want)
}
