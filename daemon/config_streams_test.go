package daemon

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cfk/cfk/messages"
)

// A -c file with a line that never runs in a config file (a command that
// streams, `command fleet`) ran its lines up to it: the services its
// first lines started ran, then were stopped, and cfkd exited 1. Such a
// line is refused as `command shutdown` is, before anything runs, every
// one named (REFERENCE §7.4), as `command apply` refuses it (§1.4).
func TestConfigRefusesStreamsAndFleetBeforeRunning(t *testing.T) {
	dir := t.TempDir()
	ran := filepath.Join(dir, "ran")
	conf := filepath.Join(dir, "cfkd.conf")
	text := "service a cmd=touch " + ran + "\nservice a oneshot=1\ncommand start all\ncommand events\ncommand tail a 5 follow\ncommand fleet status\ncommand tail a 5\n"
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- Run([]string{"--home", filepath.Join(dir, "home"), "-a", "unix:" + filepath.Join(dir, "sock"), "-c", conf}, io.Discard, io.Discard)
	}()
	var err error
	select {
	case err = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("cfkd neither refused its config nor stopped")
	}
	want := strings.Join([]string{
		"cfkd: " + conf + ":4: 'events' streams: only on an admin connection",
		"cfkd: " + conf + ":5: 'tail' streams: only on an admin connection",
		"cfkd: " + conf + ":6: " + messages.ErrFleetOnlyAdmin.Error(),
	}, "\n")
	if err == nil || err.Error() != want {
		t.Fatalf("Run: %v\nwant:\n%s", err, want)
	}
	if _, err := os.Stat(ran); err == nil {
		t.Fatal("the file's first lines ran: its service started before the refusal")
	}
}
