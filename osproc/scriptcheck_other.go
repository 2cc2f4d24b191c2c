//go:build !linux

package osproc

// Other kernels run other formats (Mach-O) and split a `#!` line's
// arguments their own way: the exec says.
func unknownFormat(p string, head []byte) error { return nil }

func envTarget(name string, arg []byte, env []string, dir string) error { return nil }
