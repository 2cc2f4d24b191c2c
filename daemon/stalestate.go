package daemon

import (
	"os"
	"path/filepath"

	"github.com/sirupsen/logrus"
)

// removeStaleState removes the state document of an upgrade in place
// that a cfkd starting plainly (not adopting) finds in its home: it holds
// the lock, so no cfkd runs there, and the file was left by an upgrade
// whose new cfkd ended before it read it (killed in its first
// milliseconds, a program that passed the check and exited, REFERENCE
// §13.4). It holds every declaration, add_env values included, and
// nothing would ever read it or remove it.
func removeStaleState(home string, log logrus.FieldLogger) {
	p := filepath.Join(home, "upgrade.state")
	fi, err := os.Lstat(p)
	if err != nil || !fi.Mode().IsRegular() {
		return
	}
	if err := os.Remove(p); err != nil {
		log.Warnf("cannot remove %s, left by an upgrade in place that did not take: %v", p, err)
		return
	}
	log.Warnf("removed %s, left by an upgrade in place whose new cfkd ended before it read it (it held every declaration, add_env values included)", p)
}
