package web

import (
	"net/http"
	"strings"
)

// actionPattern is the route of the verbs (REFERENCE §10.1). Its {verb}
// matches "log" too: the mux took a POST to /api/services/NAME/log for an
// action (404, "unknown action 'log'"), and offered POST in the Allow of
// that path's 405s (OPTIONS, PUT), which no POST there honours.
const actionPattern = "POST /api/services/{name}/{verb}"

// logPath reports whether r's path is /api/services/NAME/log (NAME one
// segment, as sent: escaped).
func logPath(r *http.Request) bool {
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), "/api/services/")
	if !ok {
		return false
	}
	name, last, ok := strings.Cut(rest, "/")
	return ok && name != "" && last == "log"
}

// notPost is the mux's answer to a method that /api/services/NAME/log
// does not take, POST included: 405, Allow: GET, HEAD (a GET or HEAD is
// routed, never answered here).
func (s *statusOnly) notPost() {
	s.header.Set("Allow", "GET, HEAD")
	s.WriteHeader(http.StatusMethodNotAllowed)
}
