package actors

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEnvFileDoesNotOverrideListenFds: REFERENCE §2.4: the env_file's variables come first, then add_env, then
// cfkd's own, then with listen_sockets LISTEN_FDS, LISTEN_FDNAMES (and
// LISTEN_PID, set by the shim); "a later value replaces an earlier one".
// With an env_file, fork merges it over the spec's environment, in which
// LISTEN_FDS and LISTEN_FDNAMES are already set: the env_file's values
// win, and the service is told a wrong number of sockets (sd_listen_fds
// reads LISTEN_FDS: fds it does not have, or sockets it ignores).
func TestEnvFileDoesNotOverrideListenFds(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.bindLoopback("a")
	envFile := filepath.Join(t.TempDir(), "s.env")
	if err := os.WriteFile(envFile, []byte("LISTEN_FDS=5\nLISTEN_FDNAMES=x:y:z:u:v\nKEEP=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r.startRunning("s", "listen_sockets=a", "env_file="+envFile)
	l := r.fake.waitLaunch(t, 1)
	env := strings.Join(l.Spec.Env, "\n") + "\n"
	for _, s := range []string{"LISTEN_FDS=1\n", "LISTEN_FDNAMES=a\n", "KEEP=1\n"} {
		if !strings.Contains(env, s) {
			t.Errorf("env lacks %q (1 socket passed, fd 3): %q", s, l.Spec.Env)
		}
	}
	r.shutdownClean()
}
