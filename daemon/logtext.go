package daemon

import (
	"sync"

	"github.com/cfk/cfk/logconf"
)

// logInForce keeps the text of the log configuration cfkd applied last,
// so that an upgrade in place hands the new cfkd the configuration in
// force, whatever the file says since (REFERENCE §13).
type logInForce struct {
	mu   sync.Mutex
	text []byte
}

// load applies text (the file at path's content when nil) to router, and
// keeps it once applied. On error the configuration in force stays.
func (l *logInForce) load(router *logconf.Router, path string, text []byte) error {
	text, err := router.ReloadText(path, text)
	if err != nil {
		return err
	}
	l.mu.Lock()
	l.text = text
	l.mu.Unlock()
	return nil
}

// get is the text in force.
func (l *logInForce) get() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.text
}
