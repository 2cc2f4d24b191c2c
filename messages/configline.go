package messages

import (
	"errors"
	"fmt"
)

// ErrConfigShutdown refuses `command shutdown` in a config file: cfkd -c
// would stop as it starts, every service the file started with it, while
// it said it had started (REFERENCE §7.4).
var ErrConfigShutdown = errors.New("command shutdown is refused in a config file (-c): cfkd would shut down as it starts; " +
	"stop it with cfkctl shutdown or a signal")

// ErrConfigUpgrade refuses `command upgrade` in a config file: cfkd -c
// runs its file before it serves, and an upgrade waits for it to serve,
// so the line held the start-up 10 s, then failed `upgrade: cfkd is still
// starting`; a signal in those 10 s was refused for the upgrade, and cfkd
// stayed, its console closed, until a second one (REFERENCE §7.4).
var ErrConfigUpgrade = errors.New("command upgrade is refused in a config file (-c): cfkd cannot upgrade before it runs; " +
	"upgrade it with cfkctl upgrade or SIGUSR2 once it runs")

// ErrFleetOnlyAdmin answers `command fleet` anywhere but on an admin
// connection (a line of a config file): it goes to the hosts of a hub.
var ErrFleetOnlyAdmin = errors.New("'fleet' goes to the hosts of a hub: only on an admin connection")

// StreamsOnlyAdmin answers a command that streams (ControlCommand.Streams)
// anywhere but on an admin connection (REFERENCE §1.4).
func StreamsOnlyAdmin(v Verb) error {
	return fmt.Errorf("'%s' streams: only on an admin connection", v)
}

// ConfigRefusal is the error a line of a config file gets for st whatever
// cfkd declares, nil for none: `command shutdown`, `command upgrade`, a
// command that streams and `command fleet`. cfkd -c refuses a file with such a line before it
// runs any (REFERENCE §7.4), and so does `command apply` (§1.4), which
// reads its text as a config file: a file an apply took would otherwise
// stop the next `cfkd -c` of it.
func ConfigRefusal(st Statement) error {
	switch s := st.(type) {
	case ControlCommand:
		switch s.Verb {
		case VerbShutdown:
			return ErrConfigShutdown
		case VerbUpgrade:
			return ErrConfigUpgrade
		}
		if s.Streams() {
			return StreamsOnlyAdmin(s.Verb)
		}
	case Fleet:
		return ErrFleetOnlyAdmin
	}
	return nil
}
