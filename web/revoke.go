package web

import (
	"net/http"

	"github.com/cfk/cfk/rights"
)

// streamCheck is what a stream checks before each batch it sends, as
// the console's streams do (REFERENCE §10.1, §5.3): once a reload of the
// token file (SIGUSR1) removed the token that let it read, why it ends;
// "" while it may read. nil when no token let it read (a loopback user
// the Reader lets in, --insecure-http): nothing to withdraw. A stream
// stays open as long as its client keeps it, so without this a token
// withdrawn went on reading every change and log line it had opened.
// One goroutine, the stream's handler, calls it.
func (s *Server) streamCheck(r *http.Request) func() string {
	if s.o.OpenRead || s.o.Tokens == nil {
		return nil
	}
	secret, given := bearer(r)
	if !given {
		return nil
	}
	check := s.o.Tokens.WithdrawnCheck(rights.Hash(secret), nil, "the token")
	check() // the token's name, from the tokens that let it in
	return check
}

// withdrawn reports whether check (streamCheck's) says the stream's
// token is gone; if so it logs it, and the caller ends the stream with
// the reason.
func (s *Server) withdrawn(r *http.Request, check func() string) (why string, gone bool) {
	if check == nil {
		return "", false
	}
	if why = check(); why == "" {
		return "", false
	}
	s.audit(r, nil).Warn(why + ": its stream ends")
	return why, true
}
