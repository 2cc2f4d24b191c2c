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

// tokenInURL answers 400 a request that carries a token in its query
// (`?token=...`, `?access_token=...`, RFC 6750 §2.3's name), on any path,
// whoever sends it (REFERENCE §10.1): cfkd never takes one there, as a
// URL is kept in proxies' access logs and browsers' history. It was the
// usual 401 of a peer that may not read, which did not say the token was
// not taken, and root's 400 of an unknown parameter. The refusal is
// audited as those with no known token are; neither says the token.
func (s *Server) tokenInURL(w http.ResponseWriter, r *http.Request) bool {
	if r.URL.RawQuery == "" {
		return false
	}
	v, _ := url.ParseQuery(r.URL.RawQuery) // what decodes: a token among what does not is still one
	for k := range v {
		if !strings.EqualFold(k, "token") && !strings.EqualFold(k, "access_token") {
			continue
		}
		shown := strconv.Quote(k)
		writeError(w, http.StatusBadRequest, "a token in the URL (query parameter "+shown+") is never taken: URLs are kept in proxies' logs and browsers' history; send it in the Authorization header, Authorization: Bearer TOKEN (nothing was done)")
		s.refused(r, "not authorized: %s (a token in the URL)", auditedRequest(r))
		return true
	}
	return false
}
