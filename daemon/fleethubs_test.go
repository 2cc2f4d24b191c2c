package daemon

import (
	"os"
	"slices"
	"testing"
)

// The hubs a former cfkd told it was leaving cross the upgrade's exec in
// fleetHubsEnv, which the new cfkd reads and unsets (no service inherits
// it), and which an exec sets anew each time.
func TestFleetHubsCrossTheExec(t *testing.T) {
	env := withFleetHubs([]string{"A=1", fleetHubsEnv + "=10.0.0.9:7000"}, []string{"10.0.0.1:7000", "10.0.0.2:7000"})
	if want := []string{"A=1", fleetHubsEnv + "=10.0.0.1:7000,10.0.0.2:7000"}; !slices.Equal(env, want) {
		t.Fatalf("env %q, want %q", env, want)
	}
	if env := withFleetHubs([]string{fleetHubsEnv + "=x"}, nil); len(env) != 0 {
		t.Fatalf("no hub told: env %q", env)
	}
	t.Setenv(fleetHubsEnv, "10.0.0.1:7000,10.0.0.2:7000")
	if got := fleetHubsFromEnv(); !slices.Equal(got, []string{"10.0.0.1:7000", "10.0.0.2:7000"}) {
		t.Fatalf("read %q", got)
	}
	if _, ok := os.LookupEnv(fleetHubsEnv); ok {
		t.Fatal("left in cfkd's environment, for its services")
	}
	if got := fleetHubsFromEnv(); got != nil {
		t.Fatalf("read again: %q", got)
	}
}
