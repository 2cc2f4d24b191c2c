package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/cfk/cfk/messages"
)

// ErrNotDeclared is the error of a LogSource for a service that is not
// declared (wrapped or not): the server answers it as every route of
// the API answers an unknown service (unknownService).
var ErrNotDeclared = errors.New("not declared")

// unknownService answers a request that names a service cfkd does not
// know, the same on every route of the API (REFERENCE §10.1): 404,
// `Service 'NAME' is not declared`. The console's answer stays its own
// (`Couldn't find a valid service. bailing.`, compat).
func unknownService(w http.ResponseWriter, name string) {
	writeError(w, http.StatusNotFound, "Service '"+shownName(name)+"' is not declared")
}

// shownName is a service name from a path (any bytes, any length) for
// an error's text: as it is when it is a valid name (REFERENCE §1.1),
// else escaped as a Go string (without its quotes) and cut at 128 bytes.
func shownName(name string) string {
	if len(name) <= 128 && messages.ValidName(name) {
		return name
	}
	q := strconv.Quote(name[:min(len(name), 128)])
	q = q[1 : len(q)-1]
	if len(name) > 128 {
		q += "..."
	}
	return q
}
