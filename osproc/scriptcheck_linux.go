package osproc

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Two failures of a start that its execve does not report but meets
// (REFERENCE §2.7), for interpreter: a file of no format the kernel runs
// (unknownFormat), and a `#!/usr/bin/env NAME` script whose NAME is not
// in the PATH (envTarget).

// unknownFormat is the error of an execve of the file p, whose first
// bytes are head and which is neither a `#!` script nor an ELF program:
// ENOEXEC, unless a binfmt_misc format takes it. A shell script without
// its `#!` line is the usual one: a shell runs it (execvp(3) hands it to
// /bin/sh), execve does not.
func unknownFormat(p string, head []byte) error {
	if binfmtRuns(p, head) {
		return nil
	}
	why := `no "#!" line, and not an ELF program: a shell script needs "#!/bin/sh"`
	switch {
	case len(head) == 0:
		why = "an empty file"
	case bytes.HasPrefix(head, []byte("\xef\xbb\xbf#!")):
		// a Windows editor's UTF-8 mark: the "#!" the user sees is not
		// the file's first two bytes, which is all the kernel reads
		why = `a UTF-8 byte order mark before its "#!" line, which the kernel does not skip: save it without one`
	}
	return &ranButFails{fmt.Errorf("%w (%s)", syscall.ENOEXEC, why)}
}

// binfmtDir is where binfmt_misc lists the formats it runs.
var binfmtDir = "/proc/sys/fs/binfmt_misc"

// binfmtRuns says whether a binfmt_misc format enabled in binfmtDir takes
// the file p, by its magic (masked, at its offset, in the first 256
// bytes, zeros past the file's end as the kernel reads them) or by its
// extension. What cannot be read is taken as one that may (the exec
// says). binfmt_misc not mounted here (a container, whose host's formats
// the kernel still runs) tells nothing: then only a file that is text (a
// script without its `#!`), or empty, is taken as one that none runs.
func binfmtRuns(p string, head []byte) bool {
	status, err := os.ReadFile(filepath.Join(binfmtDir, "status"))
	if err != nil {
		return len(head) > 0 && !isText(head)
	}
	if strings.TrimSpace(string(status)) != "enabled" {
		return false
	}
	entries, err := os.ReadDir(binfmtDir)
	if err != nil {
		return true
	}
	buf := make([]byte, 256)
	copy(buf, head)
	for _, e := range entries {
		if n := e.Name(); n == "status" || n == "register" {
			continue
		}
		text, err := os.ReadFile(filepath.Join(binfmtDir, e.Name()))
		if err != nil {
			return true
		}
		if binfmtTakes(string(text), p, buf) {
			return true
		}
	}
	return false
}

// isText: head has none of the control bytes that a binary format has in
// its first bytes (a NUL, as in MZ, Java class or .pyc headers; 0x03 in a
// zip's "PK\x03\x04"); tab, line feed, vertical tab, form feed, carriage
// return and escape are text.
func isText(head []byte) bool {
	for _, b := range head {
		if b < 0x20 && b != '\t' && b != '\n' && b != '\v' && b != '\f' && b != '\r' && b != 0x1b || b == 0x7f {
			return false
		}
	}
	return true
}

// binfmtTakes: the binfmt_misc entry text (as the kernel lists it:
// `enabled`, `offset N`, `magic HEX`, `mask HEX` or `extension .EXT`)
// takes the file p whose first 256 bytes are buf. An entry it cannot
// read takes it.
func binfmtTakes(text, p string, buf []byte) bool {
	lines := strings.Split(text, "\n")
	if lines[0] != "enabled" {
		return false
	}
	var off int
	var magic, mask []byte
	for _, l := range lines[1:] {
		k, v, _ := strings.Cut(l, " ")
		var err error
		switch k {
		case "extension":
			ext := strings.TrimPrefix(v, ".")
			for _, s := range []string{p, filepath.Base(p)} { // the kernel takes the last '.' of the name execve got
				if i := strings.LastIndexByte(s, '.'); i >= 0 && s[i+1:] == ext {
					return true
				}
			}
			return false
		case "offset":
			off, err = strconv.Atoi(v)
		case "magic":
			magic, err = hex.DecodeString(v)
		case "mask":
			mask, err = hex.DecodeString(v)
		}
		if err != nil {
			return true
		}
	}
	if magic == nil || off < 0 || off+len(magic) > len(buf) {
		return true
	}
	for i, m := range magic {
		diff := buf[off+i] ^ m
		if i < len(mask) {
			diff &= mask[i] // as the kernel's check_file: the mask's bits alone
		}
		if diff != 0 {
			return false
		}
	}
	return true
}

// envTarget checks the NAME of a script whose `#!` line is
// `/usr/bin/env NAME`: the kernel runs env with NAME as one argument (the
// rest of the line, blanks trimmed, a `\r` kept), and env looks NAME up in
// the PATH of the service's environment (or its own default), exiting 127
// when it is in none. arg is the line after the interpreter's name. An
// option (`-S python3 -u`), an assignment or a path is left to env.
func envTarget(name string, arg []byte, env []string, dir string) error {
	if filepath.Base(name) != "env" || len(arg) == 0 {
		return nil
	}
	line, _, ok := bytes.Cut(arg, []byte("\n"))
	if !ok {
		return nil // a line past 256 bytes: the kernel's to refuse
	}
	target := string(bytes.Trim(line, " \t"))
	if target == "" || strings.HasPrefix(target, "-") || strings.ContainsAny(target, "=/") {
		return nil
	}
	path := pathOf(env)
	if path == "" {
		path = "." // PATH set empty: execvp(3) looks in the working directory
	}
	if _, ok := Getenv(env, "PATH"); !ok {
		path += ":" + defaultPath // env's own, when the service has none
	}
	for _, d := range filepath.SplitList(path) {
		if d == "" {
			d = "."
		}
		p := filepath.Join(d, target)
		if !filepath.IsAbs(p) && dir != "" {
			p = filepath.Join(dir, p)
		}
		st, err := os.Stat(p)
		if err == nil && !st.IsDir() && st.Mode()&0o111 != 0 ||
			err != nil && !errors.Is(err, syscall.ENOENT) && !errors.Is(err, syscall.ENOTDIR) {
			return nil // found, or cannot tell: env says
		}
	}
	return &ranButFails{fmt.Errorf("its interpreter %q %q: executable file not found in PATH%s", name, target, crlfNote(target))}
}
