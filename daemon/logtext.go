package daemon

import (
	"sync"

	"github.com/cfk/cfk/logconf"
)

// logDefaultsText is the log configuration the new cfkd of an upgrade in
// place applies when the one in force cannot be (REFERENCE §13.4): every
// key at its default. It is the text in force then, and crosses a later
// upgrade as such.
const logDefaultsText = "# the defaults: the configuration in force could not be applied after an upgrade in place\n"

// logInForce keeps the text of the log configuration cfkd applied last,
// so that an upgrade in place hands the new cfkd the configuration in
// force, whatever the file says since (REFERENCE §13).
type logInForce struct {
	flag string // how messages name the file (Flags.logConfigFlag)
	mu   sync.Mutex
	text []byte
}

// load applies text (the file at path's content when nil) to router, and
// keeps it once applied. On error the configuration in force stays.
func (l *logInForce) load(router *logconf.Router, path string, text []byte) error {
	if text == nil {
		// read from the file: at start and at each SIGUSR1, a file
		// made another user's since is refused (REFERENCE §7.2)
		if err := checkObeyedFile(l.flag, logConfigChooses, path, false); err != nil {
			return err
		}
	}
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
