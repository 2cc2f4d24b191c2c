//go:build !linux

package proxywire

// MaxSignal is the highest signal number there is: FreeBSD's SIGRTMAX,
// the highest of the systems cfk runs on other than Linux (macOS has 31),
// so that no end by a real signal is refused there (Status.NoEnd).
const MaxSignal = 126
