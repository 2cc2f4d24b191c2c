package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/cfk/cfk/actors"
)

// sse writes one server-sent events stream (REFERENCE §10.1) on the
// stream's own connection (streamConn). Every write has a deadline: a
// page that does not read is cut off, it never holds anything but its
// own handler.
type sse struct {
	c   *streamConn
	buf bytes.Buffer
}

// newSSE starts a stream on w's connection, or returns nil when there is
// none to write: the request was a HEAD (answered with the head alone),
// or the connection could not be taken (cfkd is closing the server).
func (s *Server) newSSE(w http.ResponseWriter, r *http.Request) *sse {
	header := map[string]string{"Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no"}
	if r.Method == http.MethodHead {
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(http.StatusOK)
		return nil
	}
	c, err := s.take(w, header)
	if err != nil {
		return nil
	}
	return &sse{c: c}
}

// gone is closed once the page has hung up.
func (e *sse) gone() <-chan struct{} { return e.c.gone }

// event adds one event to the batch; data is one line of JSON.
func (e *sse) event(name string, data []byte) {
	e.buf.WriteString("event: ")
	e.buf.WriteString(name)
	e.buf.WriteString("\ndata: ")
	e.buf.Write(data)
	e.buf.WriteString("\n\n")
}

// jsonEvent adds an event whose data is v as JSON.
func (e *sse) jsonEvent(name string, v any) {
	b, _ := json.Marshal(v)
	e.event(name, b)
}

// flush writes the batch; false once the page is gone or too slow (the
// write's deadline).
func (e *sse) flush() bool {
	err := e.c.write(e.buf.Bytes())
	e.buf.Reset()
	return err == nil
}

// transition is the JSON of one event (REFERENCE §10.1).
type transition struct {
	Time    string `json:"time"`
	Service string `json:"service,omitempty"`
	Proxy   string `json:"proxy,omitempty"`
	From    string `json:"from"`
	To      string `json:"to"`
	Pid     int    `json:"pid,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

func transitionOf(ev Event) transition {
	t := transition{Time: ev.Time.UTC().Format(time.RFC3339Nano), From: ev.From, To: ev.To, Pid: ev.Pid, Reason: ev.Reason}
	if ev.Proxy {
		t.Proxy = ev.Name
	} else {
		t.Service = ev.Name
	}
	return t
}

// proxyJSON is a proxy in a snapshot event.
type proxyJSON struct {
	Name string `json:"name"`
	Up   bool   `json:"up"`
	Pid  int    `json:"pid,omitempty"`
	// Former: its process runs a former declaration (REFERENCE §10.1)
	Former bool `json:"running_former,omitempty"`
}

// snapshotEvent writes the whole state: {"time", "services": [inspect
// records], "proxies": [...]}.
func snapshotEvent(e *sse, snap actors.Snapshot) {
	var b bytes.Buffer
	b.WriteString(`{"time":`)
	t, _ := json.Marshal(snap.At.UTC().Format(time.RFC3339Nano))
	b.Write(t)
	b.WriteString(`,"services":`)
	b.Write(infoList(snap.Services))
	b.WriteString(`,"proxies":`)
	proxies := make([]proxyJSON, len(snap.Proxies))
	for k, p := range snap.Proxies {
		proxies[k] = proxyJSON(p)
	}
	p, _ := json.Marshal(proxies)
	b.Write(p)
	b.WriteString("}")
	e.event("snapshot", b.Bytes())
}

// events is GET /api/events: a snapshot event, then, for every batch of
// changes, one transition event per change, in order, and one update
// event with the records of the services they concern, read afresh
// ({"services":[...],"removed":[names destroyed in the batch]}); a proxy's
// change sends a new snapshot (its services show it). A page whose queue
// of events overflows gets a cutoff event and the end of the stream.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	closeStream, ok := s.openStream(w, r)
	if !ok {
		return
	}
	defer closeStream()
	sub := s.hub.join() // before the snapshot: nothing is missed in between
	defer s.hub.leave(sub)
	snap, err := s.snapshot(r, nil)
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	e := s.newSSE(w, r)
	if e == nil {
		return
	}
	defer s.end(e.c)
	check := s.streamCheck(r)
	e.buf.WriteString("retry: 1000\n\n")
	snapshotEvent(e, snap)
	if !e.flush() {
		return
	}
	s.bigRead(len(snap.Services))
	for {
		select {
		case <-sub.wake:
		case <-sub.cut:
			e.jsonEvent("cutoff", map[string]any{"reason": "too slow: more than " + strconv.Itoa(s.o.Queue) + " events queued"})
			e.flush()
			return
		case <-e.gone():
			return
		case <-s.quit:
			// cfkd shuts down once every service is down: the changes
			// that brought the last ones down go out before the end, as
			// on the console's event streams
			if batch := sub.take(s.o.Queue); len(batch) > 0 {
				s.sendBatch(r, e, batch)
			}
			return
		}
		batch := sub.take(s.o.Queue)
		if len(batch) == 0 {
			continue
		}
		if why, gone := s.withdrawn(r, check); gone {
			e.jsonEvent("cutoff", map[string]any{"reason": why})
			e.flush()
			return
		}
		if !s.sendBatch(r, e, batch) {
			return
		}
	}
}

// sendBatch writes a batch of changes and the records they concern.
func (s *Server) sendBatch(r *http.Request, e *sse, batch []Event) bool {
	seen := map[string]bool{}
	gone := map[string]bool{}
	var names []string
	full := false
	for _, ev := range batch {
		if ev.Gone {
			gone[ev.Name] = true
		} else {
			e.jsonEvent("transition", transitionOf(ev))
		}
		switch {
		case ev.Proxy:
			full = true
		case !seen[ev.Name]:
			seen[ev.Name] = true
			names = append(names, ev.Name)
		}
	}
	if full {
		names = nil
	}
	snap, err := s.snapshot(r, names)
	if err != nil {
		return false
	}
	if full {
		snapshotEvent(e, snap)
		s.bigRead(len(snap.Services))
		return e.flush()
	}
	var removed []string
	found := map[string]bool{}
	for _, i := range snap.Services {
		found[i.Name] = true
	}
	// a service is removed by the batch that holds its Gone, after its
	// last transition; one the records no longer hold while its Gone is
	// still to come (a destroy that ended after its last transition was
	// taken) is left out of this update, and removed by the next one
	for _, n := range names {
		if !found[n] && gone[n] {
			removed = append(removed, n)
		}
	}
	var b bytes.Buffer
	b.WriteString(`{"services":`)
	b.Write(infoList(snap.Services))
	if len(removed) > 0 {
		rm, _ := json.Marshal(removed)
		b.WriteString(`,"removed":`)
		b.Write(rm)
	}
	b.WriteString("}")
	e.event("update", b.Bytes())
	return e.flush()
}

// logFollow is GET /api/services/NAME/log/follow: a lines event with the
// last lines ({"lines":[...]}, n as for /log), then one per batch of new
// lines, until the page goes or the source ends the stream (an end event
// then). It follows before it reads the last lines: a line written in
// between may show twice, none is missed.
func (s *Server) logFollow(w http.ResponseWriter, r *http.Request) {
	if s.o.Logs == nil {
		writeError(w, http.StatusNotFound, "log tail not available in this cfkd")
		return
	}
	closeStream, ok := s.openStream(w, r)
	if !ok {
		return
	}
	defer closeStream()
	name := r.PathValue("name")
	n, err := logCount(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	lines, stop, ended, err := s.o.Logs.Follow(name)
	if err != nil {
		logError(w, name, err)
		return
	}
	defer stop()
	last, err := s.o.Logs.Last(name, n)
	if err != nil {
		logError(w, name, err)
		return
	}
	e := s.newSSE(w, r)
	if e == nil {
		return
	}
	defer s.end(e.c)
	check := s.streamCheck(r)
	if last == nil {
		last = []string{}
	}
	e.jsonEvent("lines", map[string]any{"lines": last})
	if !e.flush() {
		return
	}
	for {
		var batch []string
		select {
		case l, ok := <-lines:
			if !ok {
				why := ended()
				if why == "" {
					why = "the log source ended the stream"
				}
				e.jsonEvent("end", map[string]any{"reason": why})
				e.flush()
				return
			}
			batch = append(batch, l)
		case <-e.gone():
			return
		case <-s.quit:
			return
		}
	more:
		for len(batch) < maxLogLines {
			select {
			case l, ok := <-lines:
				if !ok {
					break more
				}
				batch = append(batch, l)
			default:
				break more
			}
		}
		if why, gone := s.withdrawn(r, check); gone {
			e.jsonEvent("end", map[string]any{"reason": why})
			e.flush()
			return
		}
		e.jsonEvent("lines", map[string]any{"lines": batch})
		if !e.flush() {
			return
		}
	}
}
