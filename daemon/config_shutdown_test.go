package daemon

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A -c file with `command shutdown` is refused at that line, as a line
// that fails (REFERENCE §7.4): cfkd exits 1 saying why, and `cfkd -d`'s
// parent says it and exits 1. Before, the shutdown ran: cfkd said it had
// started (-d: `cfkd running in the background`, exit 0), then exited 0,
// every service the file started stopped with it.
func TestConfigShutdownRefused(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "cfkd.conf")
	if err := os.WriteFile(conf, []byte("service a cmd=sleep 100\n# the end\ncommand shutdown\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "sock")
	done := make(chan error, 1)
	go func() {
		done <- Run([]string{"--home", filepath.Join(dir, "home"), "-a", "unix:" + sock, "-c", conf}, io.Discard, io.Discard)
	}()
	var err error
	select {
	case err = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("cfkd neither refused its config nor stopped")
	}
	want := conf + ":3: command shutdown is refused in a config file (-c)"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Run: %v, want %q", err, want)
	}
	if _, serr := os.Stat(sock); !os.IsNotExist(serr) {
		t.Errorf("the console socket is left: %v", serr)
	}
}
