package osproc

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"
)

// pathTTL is how long a command found in the PATH is taken as found there.
const pathTTL = time.Second

// pathCache remembers where lookPath found a command, for pathTTL: a
// storm of starts looks each command up once, not once per start (each
// lookup stats the PATH's directories in turn until it finds it). So a
// program installed since, earlier in the PATH, is found within pathTTL;
// and a cached path that exec refuses (removed: ENOENT, no longer
// executable: EACCES) is looked up again at once (see Launch).
type pathCache struct {
	mu sync.Mutex
	m  map[pathKey]pathEntry
}

type pathKey struct{ file, path, dir, cred string } // path: the PATH searched (searchKey); cred: as whom (credKey)

type pathEntry struct {
	found string
	at    time.Time
}

// lookup is lookPath through the cache; cached says the answer came from
// it. Names with a slash are not looked up in the PATH, nor cached.
func (c *pathCache) lookup(file string, env []string, dir string, cred *syscall.Credential) (found string, cached bool, err error) {
	found, _, cached, err = c.lookupAs(file, env, dir, cred, true)
	return found, cached, err
}

// lookupAs is lookup, with no answer taken from the cache unless
// cachedOK; it refreshes the cache. A restart's check (CheckProgram)
// must see a program removed a moment ago, where the cache says it is
// there for pathTTL: Launch finds out at its exec, and looks again, but
// the check would have passed, and the running service been stopped for
// a start that fails. crlf is lookPath's, of the file found, when it
// looked (not cached): the cache keeps paths only, and a script edited
// since it was found is read afresh (crlfLine).
func (c *pathCache) lookupAs(file string, env []string, dir string, cred *syscall.Credential, cachedOK bool) (found, crlf string, cached bool, err error) {
	if strings.Contains(file, "/") {
		found, crlf, err = boundedLookPath(file, env, dir, cred)
		return found, crlf, false, err
	}
	k := pathKey{file: file, path: searchKey(env), dir: dir, cred: credKey(cred)}
	now := time.Now()
	c.mu.Lock()
	e, ok := c.m[k]
	c.mu.Unlock()
	if cachedOK && ok && now.Sub(e.at) < pathTTL {
		return e.found, "", true, nil
	}
	if found, crlf, err = boundedLookPath(file, env, dir, cred); err != nil {
		if ok { // what it said is no longer so
			c.forget(file, env, dir, cred)
		}
		return "", "", false, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) > 4096 { // bounded: drop it all
		c.m = make(map[pathKey]pathEntry)
	}
	c.m[k] = pathEntry{found: found, at: now}
	c.mu.Unlock()
	return found, crlf, false, nil
}

// forget drops what the cache says of file.
func (c *pathCache) forget(file string, env []string, dir string, cred *syscall.Credential) {
	c.mu.Lock()
	delete(c.m, pathKey{file: file, path: searchKey(env), dir: dir, cred: credKey(cred)})
	c.mu.Unlock()
}

// credKey tells apart the identities a program is looked up for: what
// one user may execute another may not (lookPath). "" is cfkd's own.
func credKey(cred *syscall.Credential) string {
	if cred == nil {
		return ""
	}
	return fmt.Sprint(cred.Uid, cred.Gid, cred.Groups)
}

// stale says whether an exec error means a cached path may be wrong.
func stale(err error) bool {
	return errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.ENOTDIR)
}

// searchKey tells apart the searches of a look-up: its PATH (pathOf),
// and whether env sets it, as a `#!/usr/bin/env NAME` script's NAME is
// looked for in env's own default too when env sets no PATH (envTarget):
// the same PATH set and inherited may find different answers.
func searchKey(env []string) string {
	if _, ok := Getenv(env, "PATH"); !ok {
		return pathOf(env) + "\x00inherited"
	}
	return pathOf(env)
}

// pathOf is the PATH of env, or cfkd's when env has none, or defaultPath
// when cfkd has none either.
func pathOf(env []string) string {
	if v, ok := Getenv(env, "PATH"); ok {
		return v
	}
	if v, ok := os.LookupEnv("PATH"); ok {
		return v
	}
	return defaultPath
}

// defaultPath is searched for a command when neither the service's
// environment nor cfkd's has a PATH, as execvp(3) searches glibc's
// default (the original's exec did): a cfkd started with an environment
// without PATH (a kernel's init, `env -i`, an OCI runtime's bare
// process.env) found no command at all, 'exec sleep: executable file not
// found in PATH' (REFERENCE §2.4).
const defaultPath = "/bin:/usr/bin"
