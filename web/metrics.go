package web

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/cfk/cfk/actors"
	"github.com/cfk/cfk/logconf"
	"github.com/cfk/cfk/messages"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// The metrics of /metrics (REFERENCE §10.2), read from one snapshot of
// the controller's records per scrape: the values `status` and `inspect`
// show at that moment; and the log destinations' losses, read from their
// counters after it (losses: logconf.Router.Losses, atomic loads).
//
// cfk's families are built as client_model families straight from the
// snapshot, in name order, a chunk of services at a time, and written by
// expfmt, the encoder promhttp uses; the process and Go collectors go
// through a prometheus.Registry. cfk's families skip the Registry because
// its Gather checks and sorts every metric: at 9,000 services (81,000
// metrics) that alone takes about 220 ms, and holds them all at once.
type metrics struct {
	src     Source
	timeout time.Duration
	reg     *prometheus.Registry  // the process and Go collectors
	after   func(services int)    // after each scrape
	losses  func() []logconf.Loss // nil: no log families
}

func newMetrics(src Source, timeout time.Duration, after func(int), losses func() []logconf.Loss) *metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), collectors.NewGoCollector())
	return &metrics{src: src, timeout: timeout, reg: reg, after: after, losses: losses}
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
	more, err := m.reg.Gather()
	if err != nil {
		http.Error(w, "cfkd: "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", string(expfmt.FmtText))
	h.Set("Cache-Control", "no-store")
	var out io.Writer = w
	if acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		h.Add("Vary", "Accept-Encoding")
		zw := gzipPool.Get().(*gzip.Writer)
		zw.Reset(w)
		defer func() { zw.Close(); gzipPool.Put(zw) }()
		out = zw
	}
	defer m.after(len(snap.Services))
	var losses []logconf.Loss
	if m.losses != nil {
		losses = m.losses()
	}
	bw := bufio.NewWriterSize(out, 64<<10)
	if writeCfk(bw, snap, losses) != nil {
		return // the scraper is gone
	}
	for _, f := range more {
		if _, err := expfmt.MetricFamilyToText(bw, f); err != nil {
			return
		}
	}
	bw.Flush()
}

var gzipPool = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	return zw
}}

// acceptsGzip reports whether the request's Accept-Encoding takes gzip
// (RFC 9110, section 12.5.3): gzip or x-gzip, in any case, or else *, with a
// weight above 0 ("gzip;q=0" refuses it). A request may carry the header on
// several lines: they are one list (RFC 9110, section 5.3).
func acceptsGzip(r *http.Request) bool {
	star := false
	for _, part := range strings.Split(strings.Join(r.Header.Values("Accept-Encoding"), ","), ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		enc = strings.ToLower(strings.TrimSpace(enc))
		if enc != "gzip" && enc != "x-gzip" && enc != "*" {
			continue
		}
		ok := true
		for _, p := range strings.Split(params, ";") {
			if k, v, found := strings.Cut(strings.TrimSpace(p), "="); found && strings.EqualFold(strings.TrimSpace(k), "q") {
				q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				ok = err == nil && q > 0
			}
		}
		if enc == "*" {
			star = ok
			continue
		}
		return ok
	}
	return star
}

// cfk's families:
//
//	cfk_service_up{service,tags}            1 when up (starting, running, stopping)
//	cfk_service_state{service,state}        1 for the current state, 0 for the six others
//	cfk_service_restarts_total{service}     counter: processes launched since declared, less one
//	cfk_service_start_time_seconds{service} the last start, Unix seconds (left out when unset)
//	cfk_proxy_up{proxy}                     1 when the proxy process runs
//	cfk_socket_bound{socket}                1 when the socket is bound
//	cfk_log_records_lost_total{destination}    counter: records its failed writes lost
//	cfk_log_records_dropped_total{destination} counter: records dropped past its queue's bound
var serviceFamilies = []struct {
	name, help string
	typ        dto.MetricType
	add        func(b *famBuf, f *dto.MetricFamily, s *messages.ServiceInfo)
}{
	{"cfk_service_up", "1 when the service is up (starting, running or stopping), else 0.", dto.MetricType_GAUGE,
		func(b *famBuf, f *dto.MetricFamily, s *messages.ServiceInfo) {
			b.add(f, b2f(s.State.IsUp()), b.pair(&labelService, s.Name), b.pair(&labelTags, strings.Join(s.Tags, ",")))
		}},
	{"cfk_service_state", "1 for the state the service is in, 0 for the others.", dto.MetricType_GAUGE,
		func(b *famBuf, f *dto.MetricFamily, s *messages.ServiceInfo) {
			svc := b.pair(&labelService, s.Name)
			for k := range states {
				b.add(f, b2f(int(s.State) == k), svc, &stateLabels[k])
			}
		}},
	{"cfk_service_restarts_total", "Processes launched for the service since it was declared, less one.", dto.MetricType_COUNTER,
		func(b *famBuf, f *dto.MetricFamily, s *messages.ServiceInfo) {
			b.add(f, float64(s.Restarts), b.pair(&labelService, s.Name))
		}},
	{"cfk_service_start_time_seconds", "When the service was last started, in Unix seconds (left out when it has none).", dto.MetricType_GAUGE,
		func(b *famBuf, f *dto.MetricFamily, s *messages.ServiceInfo) {
			if !s.StartTime.IsZero() {
				b.add(f, float64(s.StartTime.UnixNano())/1e9, b.pair(&labelService, s.Name))
			}
		}},
}

// The label names, and the state label pairs (read-only, shared by every
// scrape).
var (
	labelService, labelTags, labelState = "service", "tags", "state"
	labelProxy, labelSocket             = "proxy", "socket"
	labelDestination                    = "destination"
	stateLabels                         = func() []dto.LabelPair {
		out := make([]dto.LabelPair, len(states))
		for k := range states {
			out[k] = dto.LabelPair{Name: &labelState, Value: &states[k]}
		}
		return out
	}()
)

// chunk is how many services' metrics are built and written at a time:
// a scrape of 9,000 services holds the metrics of 256 at once, not the
// 81,000 (they are large), and leaves little garbage.
const chunk = 256

// writeCfk writes cfk's families for one snapshot and the log
// destinations' losses, each family whole before the next (the text
// format wants a family's samples together), built as client_model
// families and written by expfmt, chunk by chunk.
func writeCfk(w io.Writer, snap actors.Snapshot, losses []logconf.Loss) error {
	b := &famBuf{}
	var text bytes.Buffer
	n := len(snap.Services)
	for _, sf := range serviceFamilies {
		header := true
		for lo := 0; lo < n; lo += chunk {
			b.reset()
			f := family(sf.name, sf.help, sf.typ)
			for i := lo; i < min(lo+chunk, n); i++ {
				sf.add(b, f, &snap.Services[i])
			}
			if len(f.Metric) == 0 {
				continue
			}
			if err := writeFamily(w, &text, f, header); err != nil {
				return err
			}
			header = false
		}
	}
	b.reset()
	proxy := family("cfk_proxy_up", "1 when the proxy process runs, else 0.", dto.MetricType_GAUGE)
	for _, p := range snap.Proxies {
		b.add(proxy, b2f(p.Up), b.pair(&labelProxy, p.Name))
	}
	socket := family("cfk_socket_bound", "1 when the shared socket is bound, else 0.", dto.MetricType_GAUGE)
	for _, k := range snap.Sockets {
		b.add(socket, b2f(k.Bound), b.pair(&labelSocket, k.Name))
	}
	// every current destination, zeros included (a rate from the
	// start); one a reload removed is gone
	lost := family("cfk_log_records_lost_total", "Records the log destination lost: its writes failed, or it was closed with them unwritten.", dto.MetricType_COUNTER)
	dropped := family("cfk_log_records_dropped_total", "Records the log destination dropped past the bound of its queue (it could not keep up).", dto.MetricType_COUNTER)
	for _, l := range losses {
		dest := b.pair(&labelDestination, validUTF8(l.Destination))
		b.add(lost, float64(l.Lost), dest)
		b.add(dropped, float64(l.Dropped), dest)
	}
	for _, f := range []*dto.MetricFamily{proxy, socket, lost, dropped} {
		if len(f.Metric) > 0 {
			if err := writeFamily(w, &text, f, true); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeFamily writes a family; without header, its samples only: the
// chunks after the first of a family come without the HELP and TYPE lines
// (expfmt always writes TYPE: it is cut).
func writeFamily(w io.Writer, text *bytes.Buffer, f *dto.MetricFamily, header bool) error {
	if header {
		_, err := expfmt.MetricFamilyToText(w, f)
		return err
	}
	f.Help = nil
	text.Reset()
	if _, err := expfmt.MetricFamilyToText(text, f); err != nil {
		return err
	}
	body := text.Bytes()
	_, err := w.Write(body[bytes.IndexByte(body, '\n')+1:])
	return err
}

// famBuf holds the metrics of one chunk, in slices reused from chunk to
// chunk. An append past a slice's capacity leaves the earlier elements
// where they were: the pointers taken stay valid.
type famBuf struct {
	ms       []dto.Metric
	vals     []float64
	gauges   []dto.Gauge
	counters []dto.Counter
	pairs    []dto.LabelPair
	strs     []string
	lists    []*dto.LabelPair
}

func (b *famBuf) reset() {
	clear(b.ms)
	b.ms, b.vals, b.gauges, b.counters = b.ms[:0], b.vals[:0], b.gauges[:0], b.counters[:0]
	b.pairs, b.strs, b.lists = b.pairs[:0], b.strs[:0], b.lists[:0]
}

// pair is a label pair with this name and value.
func (b *famBuf) pair(name *string, value string) *dto.LabelPair {
	b.strs = append(b.strs, value)
	b.pairs = append(b.pairs, dto.LabelPair{Name: name, Value: &b.strs[len(b.strs)-1]})
	return &b.pairs[len(b.pairs)-1]
}

// add appends a metric of value v with these labels to f.
func (b *famBuf) add(f *dto.MetricFamily, v float64, labels ...*dto.LabelPair) {
	b.vals = append(b.vals, v)
	b.lists = append(b.lists, labels...)
	b.ms = append(b.ms, dto.Metric{Label: b.lists[len(b.lists)-len(labels) : len(b.lists) : len(b.lists)]})
	m := &b.ms[len(b.ms)-1]
	if f.GetType() == dto.MetricType_COUNTER {
		b.counters = append(b.counters, dto.Counter{Value: &b.vals[len(b.vals)-1]})
		m.Counter = &b.counters[len(b.counters)-1]
	} else {
		b.gauges = append(b.gauges, dto.Gauge{Value: &b.vals[len(b.vals)-1]})
		m.Gauge = &b.gauges[len(b.gauges)-1]
	}
	f.Metric = append(f.Metric, m)
}

func family(name, help string, t dto.MetricType) *dto.MetricFamily {
	return &dto.MetricFamily{Name: &name, Help: &help, Type: &t}
}

// validUTF8 is s with each byte that is not UTF-8 written U+FFFD, as
// the JSON log records write it (REFERENCE §6.2): a label value must be
// UTF-8, and one that is not (a log destination's path, which may hold
// any byte) makes Prometheus refuse the whole scrape.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteString("\uFFFD")
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
