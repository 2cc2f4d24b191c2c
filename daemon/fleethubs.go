package daemon

import (
	"os"
	"strings"
)

// fleetHubsEnv carries, across an upgrade's exec, the addresses of the
// hubs the former cfkd told it was leaving (fleet.Node.Leave): the new
// one tells them it is back once its member serves (fleet.Node.Back), so
// that their `fleet events` streams subscribe again at once rather than
// after --fleet-timeout, the events meanwhile lost (REFERENCE §12.3).
// Unset at once: no service inherits it.
const fleetHubsEnv = "_CFKD_FLEET_HUBS"

// fleetHubsFromEnv reads and unsets fleetHubsEnv.
func fleetHubsFromEnv() []string {
	v := os.Getenv(fleetHubsEnv)
	os.Unsetenv(fleetHubsEnv)
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

// withFleetHubs is env with fleetHubsEnv set to hubs (unset when none).
func withFleetHubs(env []string, hubs []string) []string {
	env = withoutVar(env, fleetHubsEnv)
	if len(hubs) == 0 {
		return env
	}
	return append(env, fleetHubsEnv+"="+strings.Join(hubs, ","))
}
