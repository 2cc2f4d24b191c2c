package web

import (
	"errors"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// dropBody reads a request's body and drops it (no request takes one),
// within ReadTimeout and up to maxBody: net/http reads the body a handler
// left with no deadline before it answers, so a client that trickled it
// held its connection's place for as long as it liked. A body too big
// is answered 413, one not sent in time 408, and the connection closed;
// false then. n is the body's length: a route of the API refuses one
// (bodyOK).
func (s *Server) dropBody(w http.ResponseWriter, r *http.Request) (n int64, ok bool) {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return 0, true
	}
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Now().Add(s.o.ReadTimeout))
	n, err := io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, maxBody))
	rc.SetReadDeadline(time.Time{})
	if err == nil {
		return n, true
	}
	w.Header().Set("Connection", "close")
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, "a request's body is at most "+strconv.Itoa(maxBody)+" bytes (none is read)")
	case errors.Is(err, os.ErrDeadlineExceeded):
		writeError(w, http.StatusRequestTimeout, "the request's body did not come within "+s.o.ReadTimeout.String())
	default:
		writeError(w, http.StatusBadRequest, "reading the request's body: "+err.Error())
	}
	return n, false
}

// bodyOK answers 400 a request of the API that came with a body (n
// bytes; REFERENCE §10.1): no route takes one, and a POST's was dropped
// while it acted, its client taking the success for what it sent (a JSON
// of options). pattern is the route's: the answer says where its
// arguments go.
func bodyOK(w http.ResponseWriter, r *http.Request, pattern string, n int64) bool {
	if n == 0 {
		return true
	}
	hint := "send it without one"
	switch {
	case r.Method == http.MethodPost:
		hint = "nothing was done; the path names the service and the verb, and nothing else is taken: send it without a body"
	case len(queryParams[pattern]) > 0:
		hint = "give " + strings.Join(queryParams[pattern], ", ") + " in the query (?n=N), and no body"
	}
	bytes := strconv.FormatInt(n, 10) + " bytes"
	if n == 1 {
		bytes = "1 byte"
	}
	writeError(w, http.StatusBadRequest, r.Method+" "+shownPath(r)+" takes no body ("+bytes+" sent): "+hint)
	return false
}
