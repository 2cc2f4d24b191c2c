package daemon

import (
	"bytes"
	"testing"
	"time"
)

// A bad command line is one line that names the flag as the usage does and
// points to --help; the usage itself is not printed above it.
func TestFlagErrorsAreOneLine(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--bogus"}, "cfkd: unknown flag '--bogus' (cfkd --help lists the options)"},
		{[]string{"-x"}, "cfkd: unknown flag '-x' (cfkd --help lists the options)"},
		{[]string{"--config"}, "cfkd: --config needs a value (cfkd --help lists the options)"},
		{[]string{"--max-connections", "x"}, `cfkd: invalid value "x" for --max-connections: want a whole number (cfkd --help lists the options)`},
		{[]string{"--idle-timeout", "abc"}, `cfkd: invalid value "abc" for --idle-timeout: want a duration like 10m or 30s, or seconds (cfkd --help lists the options)`},
		{[]string{"--idle-timeout", "1ns"}, `cfkd: invalid value "1ns" for --idle-timeout: want 0 (never) or at least 100ms (cfkd --help lists the options)`},
		{[]string{"--idle-timeout", "0.05"}, `cfkd: invalid value "0.05" for --idle-timeout: want 0 (never) or at least 100ms (cfkd --help lists the options)`},
		{[]string{"--idle-timeout", "0.5ns"}, `cfkd: invalid value "0.5ns" for --idle-timeout: want 0 (never) or at least 100ms (cfkd --help lists the options)`},
		{[]string{"--idle-timeout", "1e-10"}, `cfkd: invalid value "1e-10" for --idle-timeout: want 0 (never) or at least 100ms (cfkd --help lists the options)`},
		{[]string{"--idle-timeout", "NaN"}, `cfkd: invalid value "NaN" for --idle-timeout: want a duration like 10m or 30s, or seconds (cfkd --help lists the options)`},
		{[]string{"--fleet-timeout", "0.9ns"}, `cfkd: invalid value "0.9ns" for --fleet-timeout: want at least 100ms (cfkd --help lists the options)`},
		{[]string{"--fleet-timeout", "1ns"}, `cfkd: invalid value "1ns" for --fleet-timeout: want at least 100ms (cfkd --help lists the options)`},
		{[]string{"--fleet-keepalive", "9s"}, `cfkd: invalid value "9s" for --fleet-keepalive: want 10s to 1h0m0s (cfkd --help lists the options)`},
		{[]string{"--fleet-keepalive", "2h"}, `cfkd: invalid value "2h" for --fleet-keepalive: want 10s to 1h0m0s (cfkd --help lists the options)`},
		{[]string{"--fleet-keepalive", "x"}, `cfkd: invalid value "x" for --fleet-keepalive: want a duration like 10m or 30s, or seconds (cfkd --help lists the options)`},
		{[]string{"-d=maybe"}, `cfkd: invalid value "maybe" for -d: want true or false (or no value) (cfkd --help lists the options)`},
		{[]string{"services.conf"}, `cfkd: unexpected argument "services.conf": cfkd takes only flags (-c FILE loads a config file; cfkd --help lists them)`},
	} {
		var stderr bytes.Buffer
		_, err := parseFlags(append([]string{"--home", t.TempDir()}, tc.args...), &stderr)
		if err == nil || err.Error() != tc.want || stderr.Len() != 0 {
			t.Errorf("cfkd %q: error %v, stderr %q; want %q and nothing on stderr", tc.args, err, stderr.String(), tc.want)
		}
	}
}

// --fleet-allow with an empty word stops cfkd at its flags, before -d
// detaches, as `hosts=a,,b` is refused (REFERENCE §12.5): it was taken,
// the empty word dropped.
func TestFleetAllowEmptyWordRefused(t *testing.T) {
	var stderr bytes.Buffer
	_, err := parseFlags([]string{"--home", t.TempDir(), "--fleet-listen", "127.0.0.2:7000", "--fleet-allow", "destroy,,bind"}, &stderr)
	want := "cfkd: --fleet-allow: empty word in destroy,,bind (want declare, destroy, bind, unbind, apply, shutdown, comma separated)"
	if err == nil || err.Error() != want {
		t.Fatalf("error %v, want %q", err, want)
	}
}

// --fleet-keepalive (REFERENCE §7.1, §12.3): 50s by default, above the
// 45 s a member older than the flag lets pings come every; 10s to 1h as
// given (seconds too); 0, or without --fleet-listen, refused.
func TestFleetKeepalive(t *testing.T) {
	listen := []string{"--fleet-listen", "127.0.0.2:7000"}
	for _, tc := range []struct {
		args []string
		want time.Duration
		err  string
	}{
		{listen, 50 * time.Second, ""},
		{append(listen, "--fleet-keepalive", "10s"), 10 * time.Second, ""},
		{append(listen, "--fleet-keepalive", "15"), 15 * time.Second, ""},
		{append(listen, "--fleet-keepalive", "1h"), time.Hour, ""},
		{append(listen, "--fleet-keepalive", "0"), 0, "cfkd: --fleet-keepalive 0: want 10s to 1h0m0s"},
		{[]string{"--fleet-keepalive", "20s"}, 0, "cfkd: the --fleet-* flags need --fleet-listen HOST:PORT"},
	} {
		var stderr bytes.Buffer
		f, err := parseFlags(append([]string{"--home", t.TempDir()}, tc.args...), &stderr)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("cfkd %q: error %v, want %q", tc.args, err, tc.err)
			}
			continue
		}
		if err != nil || f.Fleet.Keepalive != tc.want {
			t.Errorf("cfkd %q: keepalive %v, error %v; want %v", tc.args, f.Fleet.Keepalive, err, tc.want)
		}
	}
}
