package daemon

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// configRun is a cfkd started with -c FILE, FILE holding text, in the
// fresh directory dir (its home dir/home, its console dir/sock), until Run
// returns: within 30 s, or the test fails. stderr may be nil.
type configRun struct {
	dir, conf, sock string
	err             error
}

func runConfig(t *testing.T, text string, stderr io.Writer) configRun {
	t.Helper()
	dir := t.TempDir()
	return runConfigAt(t, dir, filepath.Join(dir, "cfkd.conf"), text, stderr)
}

// runConfigAt is runConfig with its home and console in dir and FILE
// conf (written text, unless text is "": none is).
func runConfigAt(t *testing.T, dir, conf, text string, stderr io.Writer) configRun {
	t.Helper()
	r := configRun{dir: dir, conf: conf, sock: filepath.Join(dir, "sock")}
	if text != "" {
		if err := os.WriteFile(r.conf, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if stderr == nil {
		stderr = io.Discard
	}
	done := make(chan error, 1)
	go func() {
		done <- Run([]string{"--home", filepath.Join(dir, "home"), "-a", "unix:" + r.sock, "-c", r.conf}, io.Discard, stderr)
	}()
	select {
	case r.err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("cfkd neither refused its config nor stopped")
	}
	return r
}

// ranFile is a file a config's first line makes (`cmd=touch FILE`): its
// test checks that nothing of the file ran.
func ranFile(t *testing.T) string { return filepath.Join(t.TempDir(), "ran") }

// notRan fails the test if the config's first lines ran (ranFile made).
func notRan(t *testing.T, ran string) {
	t.Helper()
	if _, err := os.Stat(ran); err == nil {
		t.Fatal("the file's first lines ran: its service started before the refusal")
	}
}
