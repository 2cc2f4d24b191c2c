package web

// LogSource gives the last lines a service wrote and follows the new
// ones: the log panel of the page and /api/services/NAME/log (REFERENCE
// §10.3). A nil LogSource disables both (the page says the log tail is not
// available, the endpoints answer 404).
//
// cfkd's is its tail store, the one `command tail` reads (REFERENCE
// §6.4, §10.4).
type LogSource interface {
	// Last returns the last n lines name wrote (fewer when it wrote
	// fewer), oldest first, each as the service wrote it; an error that
	// wraps ErrNotDeclared for a service that is not declared (Follow's
	// too).
	Last(name string, n int) ([]string, error)
	// Follow streams the lines name writes from now on, until stop is
	// called or the source ends the stream (it closes lines then, e.g.
	// for a follower that does not keep up). The source never waits for
	// the reader: lines is a bounded queue. Once lines is closed, ended
	// says why the source ended the stream (the reason of the end event,
	// REFERENCE §10.3); "" when it does not say.
	Follow(name string) (lines <-chan string, stop func(), ended func() string, err error)
}
