package messages

// State is what a service is doing (REFERENCE §1.6). What the operator wants is
// kept apart, in the service actor.
type State int

// The states of REFERENCE §1.6. The zero value is Stopped: a new service is
// stopped.
const (
	Stopped State = iota
	Starting
	Running
	Stopping
	Fail
	Fatal
	Backoff
)

var stateNames = [...]string{"stopped", "starting", "running", "stopping", "fail", "fatal", "backoff"}

// String returns the wire name of the state (compat).
func (s State) String() string {
	if s < 0 || int(s) >= len(stateNames) {
		return "unknown"
	}
	return stateNames[s]
}

// ParseState is the inverse of String.
func ParseState(s string) (State, bool) {
	for i, n := range stateNames {
		if n == s {
			return State(i), true
		}
	}
	return 0, false
}

// IsUp reports whether a service in this state counts as up: starting,
// running or stopping. Every other state is down.
func (s State) IsUp() bool {
	return s == Starting || s == Running || s == Stopping
}
