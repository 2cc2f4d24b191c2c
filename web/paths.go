package web

import (
	"net/http"
	"path"
	"strconv"
	"strings"
)

// The paths of the API (REFERENCE §10.1): one under /api/ is served as
// written or not at all. ServeMux would answer a path with an empty, "."
// or ".." segment (/api/services//log) with a redirect to its clean form,
// in HTML: a script whose NAME came out empty would be sent to another
// route (/api/services/log, the service "log"). Such a path is a 404 in
// JSON, as any other unknown path of the API; outside /api/ (the page's
// files, /metrics) the mux's redirect stays, and the path it names is
// checked on its own when the client follows it.

// apiPath reports whether p (decoded) is the API's: /api or under
// /api/, as written or once clean (/static/../api/services is).
func apiPath(p string) bool {
	under := func(p string) bool { return p == "/api" || strings.HasPrefix(p, "/api/") }
	return under(p) || under(cleanPath(p))
}

// cleanPath is p as ServeMux cleans it: no empty, "." or ".." segment,
// a final slash kept.
func cleanPath(p string) string {
	if p == "" || p[0] != '/' {
		p = "/" + p
	}
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c
}

// shownPath is r's path as the client wrote it, for an error's text:
// escaped (/api%2Fservices is not /api/services, a byte %00 stays so),
// cut at 256 bytes.
func shownPath(r *http.Request) string {
	p := r.URL.EscapedPath()
	if len(p) > 256 {
		return p[:256] + "..."
	}
	return p
}

// auditedRequest is r's method and path for an audit record (REFERENCE
// §5.5: `POST "/api/shutdown"`), the one spelling of every refusal that
// names them: the path decoded, cut at 128 bytes and quoted as a Go
// string (a quote or a control byte of the path escaped).
func auditedRequest(r *http.Request) string {
	p := r.URL.Path
	return r.Method + " " + strconv.Quote(p[:min(len(p), 128)])
}

// notClean answers a path of the API that is not clean (cleanPath),
// decoded (no service name holds a '/' or a '.'): 404, in JSON. False
// when r's path is clean.
func (s *Server) notClean(w http.ResponseWriter, r *http.Request, acts bool) bool {
	p := r.URL.Path
	if cleanPath(p) == p {
		return false
	}
	if acts { // would act, and names no action: a refusal (REFERENCE §5.5)
		s.refuseUnknown(r, "no such action: "+auditedRequest(r))
	}
	writeError(w, http.StatusNotFound, "not found: "+r.Method+" "+shownPath(r)+
		": a path under /api/ has no empty, '.' or '..' segment (it is not cleaned nor redirected)")
	return true
}
