//go:build linux && (amd64 || arm64)

package daemon

import (
	"syscall"
	"unsafe"
)

// kernelSigaction is the kernel's struct sigaction on amd64 and arm64.
type kernelSigaction struct {
	handler  uintptr
	flags    uint64
	restorer uintptr
	mask     uint64
}

const sigIgn = 1 // SIG_IGN

// holdSignalsForExec keeps HUP, INT, USR1, USR2, TERM and QUIT from
// killing the new cfkd of an upgrade before it has caught them (REFERENCE
// §13): execve gives every caught signal its default action back, which
// for all of them is to exit, and the services would be left
// unsupervised. They are ignored across the exec (set here with the
// kernel's own call, so that Go's signal handling, still in force if the
// exec fails, is not told): the new cfkd's runtime keeps an inherited
// SIG_IGN of HUP and INT, and does nothing with a USR1 or USR2 nobody
// asked for, until its first init (internal/earlysig) asks for them all.
// TERM and QUIT are ignored until the runtime's start, where Go gives
// them its own action whatever they inherit: the kernel's loading of the
// new binary, most of the window, no longer ends it (a TERM then ended
// the new cfkd 8 times in 30 for a TERM within 30 ms of the upgrade's
// reply); from the runtime's start to that first init, about 1 ms, a TERM
// or QUIT still does. One of them meanwhile is dropped: a shutdown asked
// during an upgrade is refused (§13.5), and the new cfkd opens its logs
// afresh. No service is launched in between, so none inherits the
// SIG_IGN. restore puts the actions back when the exec failed.
func holdSignalsForExec() (restore func()) {
	var saved []func()
	for _, s := range []syscall.Signal{syscall.SIGHUP, syscall.SIGINT, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGTERM, syscall.SIGQUIT} {
		prev := new(kernelSigaction)
		ign := kernelSigaction{handler: sigIgn}
		if _, _, e := syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(s), uintptr(unsafe.Pointer(&ign)),
			uintptr(unsafe.Pointer(prev)), 8, 0, 0); e == 0 {
			saved = append(saved, func() {
				syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(s), uintptr(unsafe.Pointer(prev)), 0, 8, 0, 0)
			})
		}
	}
	return func() {
		for _, f := range saved {
			f()
		}
	}
}
