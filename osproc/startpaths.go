package osproc

// What a start names, checked the way its child meets it: the program
// found in the PATH of the service's environment (lookPath), and the
// working directory it could not enter told from a missing program
// (dirError): the errors of REFERENCE §2.1.

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// dirError is the error of a child that could not enter its working
// directory dir, when that is why err (its chdir and its execve fail
// alike, with ENOENT, ENOTDIR or EACCES): a missing cwd is not a missing
// program. The child enters dir after it took cred: a directory that
// cfkd can enter and that user cannot is one too (`cwd /root: permission
// denied`, not `exec sleep: permission denied`). nil otherwise.
func dirError(dir string, cred *syscall.Credential, err error) error {
	if dir == "" || !errors.Is(err, syscall.ENOENT) && !errors.Is(err, syscall.ENOTDIR) && !errors.Is(err, syscall.EACCES) {
		return nil
	}
	fi, serr := os.Stat(dir)
	switch {
	case serr != nil:
		var pe *os.PathError
		if errors.As(serr, &pe) {
			serr = pe.Err
		}
		return fmt.Errorf("cwd %s: %w", dir, serr)
	case !fi.IsDir():
		return fmt.Errorf("cwd %s: not a directory", dir)
	case errors.Is(err, syscall.EACCES) && cred != nil && !canSearch(dir, cred):
		return fmt.Errorf("cwd %s: %w", dir, syscall.EACCES)
	}
	return nil
}

// canSearch says whether cred may enter dir by its mode bits: search
// permission on dir and on every directory above it (ACLs are not read:
// when they grant more, the error stays the exec's).
func canSearch(dir string, cred *syscall.Credential) bool {
	if cred.Uid == 0 {
		return true
	}
	dir = filepath.Clean(dir)
	for p := dir; ; p = filepath.Dir(p) {
		var st syscall.Stat_t
		if syscall.Stat(p, &st) != nil {
			return true // cannot tell
		}
		var bit uint32
		switch {
		case st.Uid == cred.Uid:
			bit = 0o100
		case st.Gid == cred.Gid || slices.Contains(cred.Groups, st.Gid):
			bit = 0o010
		default:
			bit = 0o001
		}
		if uint32(st.Mode)&bit == 0 {
			return false
		}
		if p == "/" || p == "." {
			return true
		}
	}
}

// lookPath finds file in the PATH of env (cfkd's PATH when env has none).
// A name with a slash is used as it is (relative to dir when relative).
// The child execs as cred: as execvp(3) in it would, a file its user may
// not execute by the mode bits (in a directory it cannot search, as
// root's /root/.local/bin, or without its x bit) is passed over for the
// next in the PATH (REFERENCE §2.4); found for cfkd alone, 'exec python3:
// permission denied' failed a `user=nobody` start that /usr/bin/python3
// would have served. When the user may execute none, the first that cfkd
// may is taken, as before (an ACL may grant it: the exec says).
func lookPath(file string, env []string, dir string, cred *syscall.Credential) (string, error) {
	if strings.Contains(file, "/") {
		p := file
		if !filepath.IsAbs(p) && dir != "" {
			p = filepath.Join(dir, p)
		}
		if err := executable(p); err != nil {
			return "", fmt.Errorf("exec %s: %w", file, err)
		}
		if err := interpreter(p, cred); err != nil {
			return "", fmt.Errorf("exec %s: %w", file, err)
		}
		// the child execs as cred: a file that user may not execute
		// (no x bit for it, a directory above it that it cannot
		// search) fails there, after a restart's check stopped the
		// process that ran; an ACL may grant it (the exec says)
		if !mayExecOrACL(p, cred) {
			return "", fmt.Errorf("exec %s: %w", file, syscall.EACCES)
		}
		return file, nil
	}
	var badScript error // the first found whose interpreter is not there
	var fallback string // executable, but not by cred's mode bits
	for _, d := range filepath.SplitList(pathOf(env)) {
		if d == "" {
			d = "."
		}
		p := filepath.Join(d, file)
		// a relative PATH entry is relative to dir in the child (it
		// changes directory before exec): check the file found there
		check := p
		if !filepath.IsAbs(p) {
			if dir != "" {
				check = filepath.Join(dir, p)
			}
			p = "./" + p // execve does no PATH search anyway; be explicit
		}
		if executable(check) != nil {
			continue
		}
		if err := interpreter(check, cred); err != nil {
			// passed over, as execvp(3) passes over an ENOENT
			if badScript == nil {
				badScript = fmt.Errorf("exec %s: %s: %w", file, p, err)
			}
			continue
		}
		if mayExec(check, cred) {
			return p, nil
		}
		if fallback == "" {
			fallback = p
		}
	}
	if fallback != "" {
		return fallback, nil
	}
	if badScript != nil {
		return "", badScript
	}
	return "", fmt.Errorf("exec %s: executable file not found in PATH", file)
}

// mayExec says whether cred may execute the file p by the mode bits: its
// x bit for that user, and search permission on every directory above it
// (canSearch). nil or root's: any x bit does (executable).
func mayExec(p string, cred *syscall.Credential) bool {
	if cred == nil || cred.Uid == 0 {
		return true
	}
	var st syscall.Stat_t
	if syscall.Stat(p, &st) != nil {
		return true // cannot tell: the exec says
	}
	bit := uint32(0o001)
	switch {
	case st.Uid == cred.Uid:
		bit = 0o100
	case st.Gid == cred.Gid || slices.Contains(cred.Groups, st.Gid):
		bit = 0o010
	}
	return uint32(st.Mode)&bit != 0 && canSearch(filepath.Dir(p), cred)
}

// mayExecOrACL: cred may execute p by the mode bits, or an ACL may say
// so (then the exec tells).
func mayExecOrACL(p string, cred *syscall.Credential) bool {
	return mayExec(p, cred) || aclOnPath(p)
}

func executable(p string) error {
	statHook(p)
	st, err := os.Stat(p)
	if err != nil {
		return err
	}
	if st.IsDir() {
		return syscall.EISDIR
	}
	if st.Mode()&0o111 == 0 || onNoexecMount(p) {
		return syscall.EACCES
	}
	return nil
}

// interpreter checks the interpreter that the `#!` line of the script p
// names, as the kernel reads it (the first word after `#!`, blanks
// skipped, a `\r` kept: a script saved with CRLF names `/bin/sh\r`): an
// absolute one that is not there fails the execve with ENOENT, which
// read `exec app.sh: no such file or directory` of a script that is
// there, and which a restart's check passed before it stopped the
// process that ran (REFERENCE §2.7); one that cred may not execute (by
// the mode bits, as mayExec) fails it with EACCES. A file cfkd cannot
// read, or that is no script, is the exec's to tell.
func interpreter(p string, cred *syscall.Credential) error {
	// a regular file only: an open of a FIFO given as the program
	// would wait for a writer (the exec refuses it)
	if st, err := os.Stat(p); err != nil || !st.Mode().IsRegular() {
		return nil
	}
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil
	}
	defer f.Close()
	buf := make([]byte, 256)
	n, _ := f.Read(buf)
	line, ok := bytes.CutPrefix(buf[:n], []byte("#!"))
	if !ok {
		return nil
	}
	line = bytes.TrimLeft(line, " \t")
	if i := bytes.IndexAny(line, " \t\n"); i >= 0 {
		line = line[:i]
	}
	name := string(line)
	if !filepath.IsAbs(name) {
		return nil // none, or relative to the child's cwd: the exec says
	}
	if _, err := os.Stat(name); err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("its interpreter %q: %w", name, err)
	}
	if onNoexecMount(name) || !mayExecOrACL(name, cred) { // the child execs it as cred
		return fmt.Errorf("its interpreter %q: %w", name, syscall.EACCES)
	}
	return nil
}
