package osproc

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"syscall"
)

// crlfLine is the `#!` line of the script at path (relative to dir when
// it is relative, as the child finds it), "\n" taken off, when it ends
// with a carriage return: a script saved with CRLF line ends whose
// interpreter is there, as `#!/bin/sh -e\r`, runs it with the argument
// `-e\r` (the kernel strips blanks, not "\r"), which dash refuses
// (`Illegal option -`, exit 2), so the service exits at each start with
// nothing naming the cause (REFERENCE §2.1). One whose interpreter ends
// with "\r" (`#!/bin/sh\r`) is not there, and the launch fails saying
// why (crlfNote). "" for any other file, one that is not a regular file
// (a FIFO would wait for a writer), cannot be read, or does not answer
// within pathTimeout (a hung mount: it only warns). Launch reads it here
// only when its program's path came from the cache: a look-up read the
// head already, in interpreter, which gives its crlfOf (one read of the
// script a launch).
func crlfLine(path, dir string) string {
	if !filepath.IsAbs(path) && dir != "" {
		path = dir + "/" + path
	}
	v, _ := pathFlights.Do("crlf\x00"+path, "program "+path, pathTimeout, func() (any, error) {
		if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() {
			return "", nil
		}
		f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
		if err != nil {
			return "", nil
		}
		defer f.Close()
		buf := make([]byte, 256) // what the kernel reads of a `#!` line
		n, _ := io.ReadFull(f, buf)
		return crlfOf(buf[:n]), nil
	})
	s, _ := v.(string)
	return s
}

// crlfOf is the `#!` line that head, the first bytes of a file, begins
// with, "\n" taken off, when it ends with a carriage return; "" for any
// other head (crlfLine).
func crlfOf(head []byte) string {
	if !bytes.HasPrefix(head, []byte("#!")) {
		return ""
	}
	line := head
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	if !bytes.HasSuffix(line, []byte("\r")) {
		return ""
	}
	return string(line)
}
