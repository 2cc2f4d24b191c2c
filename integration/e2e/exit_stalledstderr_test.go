package e2e

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// fullPipe returns the write end of a pipe that is full, whose reader
// never reads: a write to it blocks for ever (a journal or a logger that
// hangs, its pipe filled by another writer that shares it).
func fullPipe(t *testing.T) *os.File {
	t.Helper()
	rd, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rd.Close(); wr.Close() }) // never read
	buf := make([]byte, 4096)
	for {
		// os.Pipe's ends are in Go's poller: a write past a deadline
		// fails once the pipe is full
		wr.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
		if _, err := wr.Write(buf); err != nil {
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatal(err)
			}
			break
		}
	}
	wr.SetWriteDeadline(time.Time{})
	return wr
}

// TestErrorExitWithAStalledStderrEnds: a cfkd that stops on an error
// (a flag's, a configuration line's at start, "cfkd stops: ..." in its
// log, a log configuration's) while its stderr is a full pipe whose
// reader hangs exits all the same, with status 1, within a second or so
// of the message it could not write (REFERENCE §7.4): its message to
// stderr (the flag package's, main's) waited for that pipe for ever.
func TestErrorExitWithAStalledStderrEnds(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	badConf := filepath.Join(dir, "bad.conf")
	badLog := filepath.Join(dir, "bad.log.config")
	if err := os.WriteFile(badConf, []byte("bogus_command\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(badLog, []byte("bogus line\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"flag", []string{"--no-such-flag"}},
		{"config", []string{"-c", badConf}},
		{"logconfig", []string{"-l", badLog}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			home := filepath.Join(t.TempDir(), "home")
			if err := os.Mkdir(home, 0o700); err != nil {
				t.Fatal(err)
			}
			wr := fullPipe(t)
			d := runDaemonCmd(t, home, exec.Command(cfkdBin, append([]string{"--home", home}, tc.args...)...), wr)
			start := time.Now()
			select {
			case <-d.exited:
			case <-time.After(8 * time.Second):
				t.Fatalf("cfkd %v did not exit within 8s: held by its stderr", tc.args)
			}
			var ee *exec.ExitError
			if !errors.As(d.err, &ee) || ee.ExitCode() != 1 {
				t.Errorf("cfkd %v: exit %v, want status 1", tc.args, d.err)
			}
			t.Logf("exited after %v", time.Since(start))
		})
	}
}
