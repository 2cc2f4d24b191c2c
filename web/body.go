package web

import (
	"errors"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"
)

// dropBody reads a request's body and drops it (no request takes one),
// within ReadTimeout and up to maxBody: net/http reads the body a handler
// left with no deadline before it answers, so a client that trickled it
// held its connection's place for as long as it liked. A body too big
// is answered 413, one not sent in time 408, and the connection closed;
// false then.
func (s *Server) dropBody(w http.ResponseWriter, r *http.Request) bool {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return true
	}
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Now().Add(s.o.ReadTimeout))
	_, err := io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, maxBody))
	rc.SetReadDeadline(time.Time{})
	if err == nil {
		return true
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
	return false
}
