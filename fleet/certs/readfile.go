package certs

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// MaxPEM is the largest CA, certificate or key file Load reads: a chain
// of certificates is a few KiB.
const MaxPEM = 1 << 20

// OpenFile opens a fleet file (the CA, a certificate, a key, a hub's
// inventory) to read it as it is, never waited for: cfkd reads them at
// its start, before it obeys any signal, so a FIFO (whose open waits for
// a writer), a device (/dev/zero: a read with no end) or a directory is
// refused, `PATH: a FIFO, not a file`, as the log configuration refuses
// one (REFERENCE §6.1, §12.1).
func OpenFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	m := st.Mode()
	switch {
	case m.IsRegular():
		return f, nil
	case m&fs.ModeNamedPipe != 0:
		err = fmt.Errorf("%s: a FIFO, not a file", path)
	case m.IsDir():
		err = fmt.Errorf("%s: a directory, not a file", path)
	default:
		err = fmt.Errorf("%s: not a regular file", path)
	}
	f.Close()
	return nil, err
}

// readPEM is the content of a CA, certificate or key file, opened with
// OpenFile, at most MaxPEM bytes.
func readPEM(path string) ([]byte, error) {
	f, err := OpenFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxPEM+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxPEM {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, MaxPEM)
	}
	return b, nil
}
