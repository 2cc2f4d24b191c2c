package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// queryParams are the query parameters each route of the API takes
// (REFERENCE §10.1): the log and its follow take n; no other takes any.
var queryParams = map[string][]string{
	"GET /api/services/{name}/log":        {"n"},
	"GET /api/services/{name}/log/follow": {"n"},
}

// queryOK answers 400 a request of the API whose query the route does
// not take: one that cannot be decoded, a parameter the route does not
// know (a `since` or a `lines` would else be ignored, the answer taken
// for what they asked), or one given twice. pattern is the route's.
func (s *Server) queryOK(w http.ResponseWriter, r *http.Request, pattern string) bool {
	if r.URL.RawQuery == "" {
		return true
	}
	v, err := url.ParseQuery(r.URL.RawQuery) // r.URL.Query() drops what it cannot decode
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad query: "+err.Error())
		return false
	}
	takes := queryParams[pattern]
	for k, vals := range v {
		shown := strconv.Quote(k[:min(len(k), 32)])
		switch {
		case !slices.Contains(takes, k):
			what := "takes no query parameter"
			if len(takes) > 0 {
				what = "takes only " + strings.Join(takes, ", ")
			}
			writeError(w, http.StatusBadRequest, "unknown query parameter "+shown+": "+r.Method+" "+shownPath(r)+" "+what)
			return false
		case len(vals) > 1:
			writeError(w, http.StatusBadRequest, "query parameter "+shown+" given "+strconv.Itoa(len(vals))+" times: give it once")
			return false
		}
	}
	return true
}
