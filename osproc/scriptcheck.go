package osproc

// ranButFails is a start that the file found first in the PATH makes
// fail: execvp(3) runs that file and does not look further, nor does the
// launch.
type ranButFails struct{ err error }

func (e *ranButFails) Error() string { return e.err.Error() }
func (e *ranButFails) Unwrap() error { return e.err }
