package ctl

import (
	"bytes"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fullWriter is a stdout on a full disk (`cfkctl status > /dev/full`).
type fullWriter struct{}

func (fullWriter) Write([]byte) (int, error) { return 0, syscall.ENOSPC }

// TestStdoutWriteErrorFails: REFERENCE §8.3. `cfkctl status > FILE` on a
// full disk (or with stdout closed) wrote nothing and exited 0, as did
// desc, sockets and proxystatus: a script took the empty file for the
// state. A write to stdout that fails is the command's failure, exit 1,
// as it was already for list, pids, inspect and --json.
func TestStdoutWriteErrorFails(t *testing.T) {
	f := newFakeServer(t, map[string]string{
		"command status all": ok("svc1\trunning\t4242\t" + epoch(2*time.Second) + "\t\t\t\tsleep 100"),
		"command inspect all": ok(`{"name":"svc1","state":"running","pid":4242,"retries":0,"crashes":0,"tags":["web"],` +
			`"cmd":"sleep 100"}`),
		"command sockets":     ok("web\t127.0.0.1\t8080\tbound\tweb1"),
		"command proxystatus": ok("p1\tup\t100"),
	})
	for _, args := range [][]string{{"status"}, {"desc"}, {"sockets"}, {"proxystatus"}} {
		var stderr bytes.Buffer
		code := run(args, fullStdout(f.addr, &stderr))
		if want := "no space left on device"; code != ExitError || !strings.Contains(stderr.String(), want) {
			t.Errorf("cfkctl %s > /dev/full: exit %d, stderr %q; want exit %d and %q", args[0], code, stderr.String(), ExitError, want)
		}
	}
}

// TestVersionHelpWriteErrorFails: REFERENCE §8.3. `cfkctl --version >
// FILE` on a full disk (so `--help`, `help`, `COMMAND --help`) wrote
// nothing and exited 0, and a script that records cfkctl's version took
// the empty file for it: now exit 1, the write error on stderr, as for
// the commands that ask cfkd.
func TestVersionHelpWriteErrorFails(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"--help"}, {"help"}, {"help", "status"}, {"status", "--help"}} {
		var stderr bytes.Buffer
		code := run(args, &env{
			stdin:      strings.NewReader(""),
			stdout:     fullWriter{},
			stderr:     &stderr,
			getenv:     func(k string) string { return map[string]string{"HOME": "/home/test"}[k] },
			getwd:      func() (string, error) { return "/work/dir", nil },
			now:        func() time.Time { return testNow },
			loc:        time.UTC,
			isTerminal: func(io.Writer) bool { return false },
		})
		if want := "cfkctl: no space left on device\n"; code != ExitError || stderr.String() != want {
			t.Errorf("cfkctl %q > /dev/full: exit %d, stderr %q; want exit %d and %q", args, code, stderr.String(), ExitError, want)
		}
	}
}

// fullStdout is the environment of a cfkctl whose stdout is a full disk
// (fullWriter), reaching cfkd at addr.
func fullStdout(addr string, stderr *bytes.Buffer) *env {
	return &env{
		stdin:      strings.NewReader(""),
		stdout:     fullWriter{},
		stderr:     stderr,
		getenv:     func(k string) string { return map[string]string{"HOME": "/home/test", "CFKCTL_ADDRESS": addr}[k] },
		getwd:      func() (string, error) { return "/work/dir", nil },
		now:        func() time.Time { return testNow },
		loc:        time.UTC,
		isTerminal: func(io.Writer) bool { return false },
	}
}
