package web

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/messages"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// scrape GETs /metrics and parses it with Prometheus' own text parser.
func (r *rig) scrape() map[string]*dto.MetricFamily {
	r.t.Helper()
	res, err := r.http.Client().Get(r.http.URL + "/metrics")
	if err != nil {
		r.t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		r.t.Fatalf("/metrics: %d %s", res.StatusCode, b)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		r.t.Errorf("/metrics content type %q", ct)
	}
	var p expfmt.TextParser
	fams, err := p.TextToMetricFamilies(res.Body)
	if err != nil {
		r.t.Fatalf("/metrics does not parse: %v", err)
	}
	return fams
}

// value is the value of the metric of family name whose labels are
// exactly labels (name=value pairs); ok is false when there is none.
func value(fams map[string]*dto.MetricFamily, name string, labels ...string) (v float64, ok bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.Metric {
		if len(m.Label) != len(labels) {
			continue
		}
		for _, l := range m.Label {
			if !slices.ContainsFunc(labels, func(s string) bool { return s == l.GetName()+"="+l.GetValue() }) {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		}
	}
	return 0, false
}

func (r *rig) want(fams map[string]*dto.MetricFamily, want float64, name string, labels ...string) {
	r.t.Helper()
	v, ok := value(fams, name, labels...)
	if !ok {
		r.t.Errorf("no %s%v", name, labels)
	} else if v != want {
		r.t.Errorf("%s%v = %v, want %v", name, labels, v, want)
	}
}

// The state gauges: 1 for the state the service is in, 0 for the six
// others.
func (r *rig) wantState(fams map[string]*dto.MetricFamily, svc string, st messages.State) {
	r.t.Helper()
	for _, s := range states {
		want := 0.0
		if s == st.String() {
			want = 1
		}
		r.want(fams, want, "cfk_service_state", "service="+svc, "state="+s)
	}
}

// The metrics say what inspect says, also right after a crash: the
// restart counted, the state it is in now; and the process and Go
// collectors are there.
func TestMetrics(t *testing.T) {
	r := newRig(t, Options{})
	r.ok("service web cmd=sleep 100", "service web tags=front,prod", "service web startwait_secs=0.01",
		"service idle cmd=sleep 100",
		"service once cmd=sleep 100", "service once respawn_on_fail=0", "service once startwait_secs=0.01",
		"proxy p service viaproxy cmd=sleep 1",
		"socket sk host=127.0.0.1", "socket sk service=0", "command bind sk")
	before := time.Now()
	pid := r.running("web")
	r.running("once")

	fams := r.scrape()
	r.want(fams, 1, "cfk_service_up", "service=web", "tags=front,prod")
	r.want(fams, 0, "cfk_service_up", "service=idle", "tags=")
	r.wantState(fams, "web", messages.Running)
	r.wantState(fams, "idle", messages.Stopped)
	r.want(fams, 0, "cfk_service_restarts_total", "service=web")
	if v, _ := value(fams, "cfk_service_start_time_seconds", "service=web"); v < float64(before.Unix()) || v > float64(time.Now().Unix()+1) {
		t.Errorf("web start time %v, started at %v", v, before.Unix())
	}
	if _, ok := value(fams, "cfk_service_start_time_seconds", "service=idle"); ok {
		t.Error("a start time for a service never started")
	}
	r.want(fams, 0, "cfk_proxy_up", "proxy=p")
	r.want(fams, 1, "cfk_socket_bound", "socket=sk")
	if f := fams["cfk_service_restarts_total"]; f == nil || f.GetType() != dto.MetricType_COUNTER {
		t.Errorf("restarts is not a counter: %v", f)
	}
	for _, name := range []string{"process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds", "go_goroutines", "go_memstats_heap_alloc_bytes"} {
		if fams[name] == nil {
			t.Errorf("no %s", name)
		}
	}

	// a crash of a running service: restarted at once (REFERENCE §2.3)
	r.fake.end(pid, syscall.WaitStatus(syscall.SIGKILL))
	r.until("web", "restarted", func(i messages.ServiceInfo) bool { return i.Restarts == 1 && i.State == messages.Running })
	fams = r.scrape()
	r.want(fams, 1, "cfk_service_restarts_total", "service=web")
	r.want(fams, 1, "cfk_service_up", "service=web", "tags=front,prod")
	r.wantState(fams, "web", messages.Running)

	// without respawn_on_fail, the crash leaves it in fail
	r.fake.end(r.info("once").Pid, syscall.WaitStatus(syscall.SIGKILL))
	r.until("once", "failed", func(i messages.ServiceInfo) bool { return i.State == messages.Fail })
	fams = r.scrape()
	r.wantState(fams, "once", messages.Fail)
	r.want(fams, 0, "cfk_service_up", "service=once", "tags=")
	r.want(fams, 0, "cfk_service_restarts_total", "service=once")
}

// A scrape of 9,000 services: under 100 ms, and the controller keeps
// answering meanwhile (an inspect round trip during scrapes stays short).
// With the race detector, which slows everything several times, 1,000
// services and no check of the times.
func TestScrape9000(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	n := 9000
	if raceEnabled {
		n = 1000 // the race detector makes it slow, and the time is not checked then
	}
	r := newRig(t, Options{})
	declare9000(r, n)
	fams := r.scrape()
	if got := len(fams["cfk_service_state"].GetMetric()); got != 7*n {
		t.Fatalf("%d state gauges for %d services", got, n)
	}
	best := time.Hour
	for range 5 {
		t0 := time.Now()
		res, err := r.http.Client().Get(r.http.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		best = min(best, time.Since(t0))
	}
	t.Logf("scrape of %d services: %v (best of 5)", n, best)
	if !raceEnabled && best > 100*time.Millisecond {
		t.Errorf("a scrape of %d services took %v, want under 100ms", n, best)
	}

	// supervision goes on during scrapes: status round trips meanwhile
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			res, err := r.http.Client().Get(r.http.URL + "/metrics")
			if err == nil {
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
			}
		}
	}()
	worst := time.Duration(0)
	for range 20 {
		t0 := time.Now()
		r.info("s0042")
		worst = max(worst, time.Since(t0))
	}
	close(stop)
	<-done
	t.Logf("inspect of one service during scrapes: %v at worst", worst)
	if !raceEnabled && worst > 100*time.Millisecond {
		t.Errorf("the controller took %v to answer during scrapes", worst)
	}
}

// declare9000 declares n services and starts them all.
func declare9000(r *rig, n int) {
	r.t.Helper()
	for i := range n {
		r.ok(fmt.Sprintf("service s%04d cmd=sleep 100", i))
	}
	r.ok("command start all")
}

// BenchmarkScrape is one scrape of /metrics at 9,000 running services
// (go test -run '^$' -bench Scrape ./web).
func BenchmarkScrape(b *testing.B) {
	r := newRig(b, Options{})
	declare9000(r, 9000)
	b.ResetTimer()
	for range b.N {
		res, err := r.http.Client().Get(r.http.URL + "/metrics")
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
}

// BenchmarkWriteMetrics is the writing of cfk's families for 9,000
// services, without HTTP, gzip nor the controller.
func BenchmarkWriteMetrics(b *testing.B) {
	snap := actors.Snapshot{Services: make([]messages.ServiceInfo, 9000)}
	for i := range snap.Services {
		snap.Services[i] = messages.ServiceInfo{Name: fmt.Sprintf("s%04d", i), State: messages.Running,
			StartTime: time.Now(), Restarts: i % 3, Tags: []string{"web", "prod"}}
	}
	b.ReportAllocs()
	for range b.N {
		if err := writeCfk(io.Discard, snap, nil); err != nil {
			b.Fatal(err)
		}
	}
}
