package daemon

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A -c file with `command upgrade` is refused whole, nothing run, as one
// with `command shutdown` (REFERENCE §7.4). Before, the line ran: the
// upgrade waited 10 s for cfkd to serve, which waited for the file, then
// failed `upgrade: cfkd is still starting`; a SIGTERM in those 10 s was
// refused for the upgrade, and cfkd stayed for ever, its console closed.
func TestConfigUpgradeRefused(t *testing.T) {
	dir := t.TempDir()
	ran := filepath.Join(dir, "ran")
	conf := filepath.Join(dir, "cfkd.conf")
	if err := os.WriteFile(conf, []byte("service a cmd=touch "+ran+"\ncommand start all\ncommand upgrade\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "sock")
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		done <- Run([]string{"--home", filepath.Join(dir, "home"), "-a", "unix:" + sock, "-c", conf}, io.Discard, io.Discard)
	}()
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("cfkd neither refused its config nor stopped")
	}
	want := conf + ":3: command upgrade is refused in a config file (-c)"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Run after %v: %v, want %q", time.Since(start), err, want)
	}
	if _, serr := os.Stat(ran); serr == nil {
		t.Error("the file's first lines ran before the refusal")
	}
	if _, serr := os.Stat(sock); !os.IsNotExist(serr) {
		t.Errorf("the console socket is left: %v", serr)
	}
}
