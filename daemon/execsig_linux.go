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

// holdSignalsForExec keeps HUP, INT, USR1 and USR2 from killing the new
// cfkd of an upgrade before it has caught them (REFERENCE §13): execve
// gives every caught signal its default action back, which for all of
// them is to exit, and the services would be left unsupervised. They are
// ignored across the exec (set here with the kernel's own call, so that
// Go's signal handling, still in force if the exec fails, is not told):
// the new cfkd's runtime keeps an inherited SIG_IGN of HUP and INT, and
// does nothing with a USR1 or USR2 nobody asked for, until catchEarly asks
// for them all. One of them meanwhile is dropped: a shutdown asked during
// an upgrade is refused (§13.5), and the new cfkd opens its logs afresh.
// TERM cannot be held so (Go gives it its own action at start): a TERM
// before the new cfkd's first line still ends it. No service is launched
// in between, so none inherits the SIG_IGN. restore puts the actions
// back when the exec failed.
func holdSignalsForExec() (restore func()) {
	var saved []func()
	for _, s := range []syscall.Signal{syscall.SIGHUP, syscall.SIGINT, syscall.SIGUSR1, syscall.SIGUSR2} {
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
