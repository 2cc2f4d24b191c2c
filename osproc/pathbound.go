package osproc

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/cfk/cfk/internal/nss"
)

// This file bounds the file system work cfkd does itself for a launch
// before its fork: the program looked up (a stat per directory of the
// PATH, or of the program's own path) and the working directory reached.
// On a hung NFS or FUSE mount a stat may never end, and Launch runs on a
// worker of a pool (and CheckProgram in a restart's check): each waits
// PathTimeout at most, and a path that has not answered by then fails
// the launch with an *nss.TimeoutError naming it (`cwd /mnt/x did not
// answer within 5s`), cfkd's trouble rather than the service's
// (REFERENCE §2.1, §2.4). The stat cannot be cancelled: it stays in
// flight, one per path (a later launch waits for it rather than asking
// again; once it has been in flight PathTimeout, fails at once), and its
// late answer is dropped (internal/nss).

// PathTimeout bounds each look-up of a launch's program and of its
// working directory.
const PathTimeout = nss.Timeout

// How long a path may take, and what is called before each stat of the
// program's look-up and of the working directory: a test makes it hang,
// as a path on a hung mount would.
var (
	pathTimeout = PathTimeout
	statHook    = func(path string) {}
)

// pathFlights are the look-ups in flight, keyed by what they read; a
// path in flight for PathTimeout already fails the next launches at once.
var pathFlights = nss.Flights{FailFast: true}

// boundedLookPath is lookPath bounded by pathTimeout.
func boundedLookPath(file string, env []string, dir string, cred *syscall.Credential) (found, crlf string, err error) {
	what := "program " + file
	switch {
	case strings.Contains(file, "/") && !filepath.IsAbs(file) && dir != "":
		what = "program " + filepath.Join(dir, file)
	case !strings.Contains(file, "/"):
		what = fmt.Sprintf("program %s in PATH %s", file, pathOf(env))
	}
	v, err := pathFlights.Do("program\x00"+file+"\x00"+searchKey(env)+"\x00"+dir+"\x00"+credKey(cred), what, pathTimeout, func() (any, error) {
		found, crlf, err := lookPath(file, env, dir, cred)
		return lookedUp{found, crlf}, err
	})
	l, _ := v.(lookedUp)
	return l.found, l.crlf, err
}

// lookedUp is what lookPath found: the path and its crlf line.
type lookedUp struct{ found, crlf string }

// reachDir stats dir, bounded by pathTimeout: only a dir that does not
// answer is an error (an *nss.TimeoutError), as the child's chdir tells
// what else is wrong with it (dirError). "" is cfkd's own: not looked at.
func reachDir(dir string) error {
	if dir == "" {
		return nil
	}
	_, err := pathFlights.Do("cwd\x00"+dir, "cwd "+dir, pathTimeout, func() (any, error) {
		statHook(dir)
		os.Stat(dir)
		return nil, nil
	})
	return err
}
