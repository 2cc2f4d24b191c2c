package ctl

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// openConfig opens the FILE of load or apply (what: the command), before
// anything is sent: a directory, which opens but cannot be read, is
// refused at once, `load: /etc/cfk is a directory: give a config file`
// (REFERENCE §8.2). It said `reading /etc/cfk: read /etc/cfk: is a
// directory`, the path twice, and load only once connected (with no cfkd
// running, `Cannot get a socket`, of a file it could never send). A FIFO
// (a shell's <(...)) is opened as it is: its writer may come later.
func openConfig(what, file string) (*os.File, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err) // `open FILE: REASON`: FILE once
	}
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		f.Close()
		return nil, fmt.Errorf("%s: %s is a directory: give a config file", what, file)
	}
	return f, nil
}

// readError is the failure of a read of FILE (- for standard input),
// naming it once: `load: reading FILE: input/output error`, where the
// *fs.PathError of the read named it again (`reading FILE: read FILE:
// ...`).
func readError(what, file string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	if file == "-" {
		return fmt.Errorf("%s: reading standard input: %w", what, err)
	}
	return fmt.Errorf("%s: reading %s: %w", what, file, err)
}
