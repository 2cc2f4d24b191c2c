package ctl

import "testing"

// An address that does not parse says it came from $CFKCTL_ADDRESS when
// no -a was given (REFERENCE §8.1): `cfkctl list` with CFKCTL_ADDRESS=unix:
// said "invalid address 'unix:': no socket path" to a user who had typed
// no address. One given with -a (or --address) is the line's own, the
// variable set or not.
func TestInvalidAddressFromTheEnvironmentSaysSo(t *testing.T) {
	const usage = "Run 'cfkctl --help' for usage.\n"
	for _, tc := range []struct {
		env  string
		args []string
		want string
	}{
		{"unix:", []string{"list"}, "cfkctl: invalid address 'unix:': no socket path (from $CFKCTL_ADDRESS)\n" + usage},
		{"h:99999", []string{"--json", "status"}, "cfkctl: invalid address 'h:99999': port 99999 out of range (0 to 65535) (from $CFKCTL_ADDRESS)\n" + usage},
		{"h:99999", []string{"-a", "h:99999", "list"}, "cfkctl: invalid address 'h:99999': port 99999 out of range (0 to 65535)\n" + usage},
		{"unix:/tmp/sock", []string{"--address=unix:", "list"}, "cfkctl: invalid address 'unix:': no socket path\n" + usage},
		{"", []string{"-a", "unix:", "list"}, "cfkctl: invalid address 'unix:': no socket path\n" + usage},
	} {
		r := runCtl(t, nil, runCfg{env: map[string]string{"CFKCTL_ADDRESS": tc.env}}, tc.args...)
		if r.code != ExitUsage || r.stderr != tc.want {
			t.Errorf("CFKCTL_ADDRESS=%q cfkctl %q: exit %d, stderr %q; want %d and %q",
				tc.env, tc.args, r.code, r.stderr, ExitUsage, tc.want)
		}
	}
}
