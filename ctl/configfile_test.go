package ctl

import (
	"bytes"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The file of load and apply that cannot be read is named once: a
// directory is refused before anything is sent, `load: DIR is a
// directory: give a config file`, where it said `reading DIR: read DIR:
// is a directory` (and load only once connected: with no cfkd,
// `Cannot get a socket`); a read that fails names the file once; a file
// that is not there is as it was, `open FILE: no such file or directory`.
func TestConfigFileErrorsNameTheFileOnce(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope.conf")
	for _, verb := range []string{"load", "apply"} {
		f := newFakeServer(t, nil)
		for _, tc := range []struct{ file, want string }{
			{dir, "cfkctl: " + verb + ": " + dir + " is a directory: give a config file\n"},
			{missing, "cfkctl: " + verb + ": open " + missing + ": no such file or directory\n"},
		} {
			r := runCtl(t, f, runCfg{}, verb, tc.file)
			if r.code != ExitError || r.stdout != "" || r.stderr != tc.want {
				t.Errorf("%s %s: got %+v, want stderr %q", verb, tc.file, r, tc.want)
			}
		}
		// no cfkd at all: the directory is still said, not the socket
		r := runCtl(t, nil, runCfg{env: map[string]string{"CFKCTL_ADDRESS": filepath.Join(dir, "sock")}}, verb, dir)
		if want := "cfkctl: " + verb + ": " + dir + " is a directory: give a config file\n"; r.code != ExitError || r.stderr != want {
			t.Errorf("%s %s without cfkd: got %+v, want stderr %q", verb, dir, r, want)
		}
		if n := f.connections(); n != 0 {
			t.Errorf("%s: %d connections, want none", verb, n)
		}

		// standard input whose read fails (EISDIR for `< DIR`, EIO)
		var stdout, stderr bytes.Buffer
		code := run([]string{"-a", f.addr, verb, "-"}, &env{
			stdin:      failingReader{&fs.PathError{Op: "read", Path: "/dev/stdin", Err: syscall.EIO}},
			stdout:     &stdout,
			stderr:     &stderr,
			getenv:     func(string) string { return "" },
			getwd:      func() (string, error) { return "/work/dir", nil },
			now:        func() time.Time { return testNow },
			loc:        time.UTC,
			isTerminal: func(io.Writer) bool { return false },
		})
		if want := "cfkctl: " + verb + ": reading standard input: input/output error\n"; code != ExitError || stderr.String() != want {
			t.Errorf("%s - failing: got %d, stderr %q, want %q", verb, code, stderr.String(), want)
		}
		if strings.Contains(stderr.String(), "/dev/stdin") {
			t.Errorf("%s -: %q", verb, stderr.String())
		}
	}
}

type failingReader struct{ err error }

func (r failingReader) Read([]byte) (int, error) { return 0, r.err }
