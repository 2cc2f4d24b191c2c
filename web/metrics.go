package web

import (
	"bufio"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/messages"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// The metrics of /metrics (REFERENCE §10.2), read from one snapshot of
// the controller's records per scrape: the values `status` and `inspect`
// show at that moment.
//
// cfk's families are built as client_model families straight from the
// snapshot, in name order, and written by expfmt, the encoder promhttp
// uses; the process and Go collectors go through a prometheus.Registry.
// cfk's families skip the Registry because its Gather checks and sorts
// every metric: at 9,000 services (81,000 metrics) that alone takes about
// 220 ms, against a few for building them.
type metrics struct {
	src     Source
	timeout time.Duration
	reg     *prometheus.Registry // the process and Go collectors
}

func newMetrics(src Source, timeout time.Duration) *metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), collectors.NewGoCollector())
	return &metrics{src: src, timeout: timeout, reg: reg}
}

// states are the state label values, in the order of messages.State.
var states = func() []string {
	var out []string
	for s := messages.Stopped; s.String() != "unknown"; s++ {
		out = append(out, s.String())
	}
	return out
}()

// ServeHTTP writes the text format (version 0.0.4), gzipped (at the
// fastest level: the text is repetitive) when the scraper accepts it.
func (m *metrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), m.timeout)
	defer cancel()
	snap, err := m.src.Snapshot(ctx, nil)
	if err != nil {
		http.Error(w, "cfkd: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	fams := cfkFamilies(snap)
	more, err := m.reg.Gather()
	if err != nil {
		http.Error(w, "cfkd: "+err.Error(), http.StatusInternalServerError)
		return
	}
	fams = append(fams, more...)
	h := w.Header()
	h.Set("Content-Type", string(expfmt.FmtText))
	h.Set("Cache-Control", "no-store")
	var out io.Writer = w
	if acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		h.Add("Vary", "Accept-Encoding")
		zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
		defer zw.Close()
		out = zw
	}
	bw := bufio.NewWriterSize(out, 64<<10)
	for _, f := range fams {
		if _, err := expfmt.MetricFamilyToText(bw, f); err != nil {
			return // the scraper is gone
		}
	}
	bw.Flush()
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		if enc, _, _ := strings.Cut(strings.TrimSpace(part), ";"); enc == "gzip" {
			return true
		}
	}
	return false
}

// cfkFamilies are cfk's metric families for one snapshot:
//
//	cfk_service_up{service,tags}            1 when up (starting, running, stopping)
//	cfk_service_state{service,state}        1 for the current state, 0 for the six others
//	cfk_service_restarts_total{service}     counter: processes launched since declared, less one
//	cfk_service_start_time_seconds{service} the last start, Unix seconds (left out when unset)
//	cfk_proxy_up{proxy}                     1 when the proxy process runs
//	cfk_socket_bound{socket}                1 when the socket is bound
//
// The metrics of one service share their label pairs, and all come from
// a few slices: a scrape of 9,000 services allocates a dozen times, not
// 100,000.
func cfkFamilies(snap actors.Snapshot) []*dto.MetricFamily {
	n := len(snap.Services)
	up := family("cfk_service_up", "1 when the service is up (starting, running or stopping), else 0.", dto.MetricType_GAUGE, n)
	state := family("cfk_service_state", "1 for the state the service is in, 0 for the others.", dto.MetricType_GAUGE, n*len(states))
	restarts := family("cfk_service_restarts_total", "Processes launched for the service since it was declared, less one.", dto.MetricType_COUNTER, n)
	start := family("cfk_service_start_time_seconds", "When the service was last started, in Unix seconds (left out when it has none).", dto.MetricType_GAUGE, n)

	perSvc := 2 + len(states) + 1 // metrics of one service (start time aside)
	ms := make([]dto.Metric, 0, n*(perSvc+1))
	vals := make([]float64, 0, n*(perSvc+1))
	pairs := make([]dto.LabelPair, 0, 2*n)
	lists := make([]*dto.LabelPair, 0, n*(2*perSvc+1))
	stateName, svcName, tagsName := "state", "service", "tags"
	stateLabels := make([]dto.LabelPair, len(states))
	for k := range states {
		stateLabels[k] = dto.LabelPair{Name: &stateName, Value: &states[k]}
	}
	tagText := make([]string, n)
	add := func(f *dto.MetricFamily, v float64, labels ...*dto.LabelPair) {
		vals = append(vals, v)
		lists = append(lists, labels...)
		ms = append(ms, dto.Metric{Label: lists[len(lists)-len(labels) : len(lists) : len(lists)]})
		m := &ms[len(ms)-1]
		if f.GetType() == dto.MetricType_COUNTER {
			m.Counter = &dto.Counter{Value: &vals[len(vals)-1]}
		} else {
			m.Gauge = &dto.Gauge{Value: &vals[len(vals)-1]}
		}
		f.Metric = append(f.Metric, m)
	}
	for i := range snap.Services {
		s := &snap.Services[i]
		tagText[i] = strings.Join(s.Tags, ",")
		pairs = append(pairs, dto.LabelPair{Name: &svcName, Value: &s.Name}, dto.LabelPair{Name: &tagsName, Value: &tagText[i]})
		svc, tags := &pairs[len(pairs)-2], &pairs[len(pairs)-1]
		add(up, b2f(s.State.IsUp()), svc, tags)
		for k := range states {
			add(state, b2f(int(s.State) == k), svc, &stateLabels[k])
		}
		add(restarts, float64(s.Restarts), svc)
		if !s.StartTime.IsZero() {
			add(start, float64(s.StartTime.UnixNano())/1e9, svc)
		}
	}
	proxy := family("cfk_proxy_up", "1 when the proxy process runs, else 0.", dto.MetricType_GAUGE, len(snap.Proxies))
	proxyName := "proxy"
	for _, p := range snap.Proxies {
		add(proxy, b2f(p.Up), &dto.LabelPair{Name: &proxyName, Value: &p.Name})
	}
	socket := family("cfk_socket_bound", "1 when the shared socket is bound, else 0.", dto.MetricType_GAUGE, len(snap.Sockets))
	socketName := "socket"
	for _, k := range snap.Sockets {
		add(socket, b2f(k.Bound), &dto.LabelPair{Name: &socketName, Value: &k.Name})
	}
	var out []*dto.MetricFamily
	for _, f := range []*dto.MetricFamily{up, state, restarts, start, proxy, socket} {
		if len(f.Metric) > 0 {
			out = append(out, f)
		}
	}
	return out
}

func family(name, help string, t dto.MetricType, n int) *dto.MetricFamily {
	return &dto.MetricFamily{Name: &name, Help: &help, Type: &t, Metric: make([]*dto.Metric, 0, n)}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
