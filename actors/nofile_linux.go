package actors

import (
	"os"

	"golang.org/x/sys/unix"
)

// mayRaiseNofile says whether a process of cfkd's identity may raise a
// hard RLIMIT_NOFILE: the shim that sets limit_nofile, a /bin/sh that
// cfkd execs (REFERENCE §1.1, §2.6), needs CAP_SYS_RESOURCE (setrlimit(2))
// after its execve, which is not what cfkd's effective set says
// (capabilities(7)): a root shell gets its bounding set (a container's
// root may lack it there), and a shell of another uid gets only cfkd's
// ambient set, so a cfkd of another user given the capability by its
// file (setcap cap_sys_resource+ep) has it, and its shim does not. A
// capget(2) and four prctl(2): no wait.
func mayRaiseNofile() bool {
	return raisesAfterExec(os.Geteuid() == 0, readCaps(unix.CAP_SYS_RESOURCE))
}

// capSets says where cfkd's capability sets hold one capability, and
// whether its root is without privilege (SECBIT_NOROOT).
type capSets struct {
	effective, permitted, inheritable, bounding, ambient, noRoot bool
	// noNewPrivs: an execve gains nothing cfkd's permitted set lacks
	noNewPrivs bool
}

// raisesAfterExec says whether a program that a process with these sets
// execs (one without file capabilities, as /bin/sh) has the capability
// (capabilities(7), "Transformation of capabilities during execve()"):
// as root (euid 0, without SECBIT_NOROOT) its permitted set is the
// bounding set with the inheritable and ambient ones, and all of it
// effective, but under no_new_privs only what cfkd's permitted set holds
// (systemd's NoNewPrivileges=); as another uid, only the ambient set. cfkd's own effective
// set says nothing of it.
func raisesAfterExec(root bool, c capSets) bool {
	if root && !c.noRoot {
		return (c.bounding || c.inheritable || c.ambient) && (c.permitted || !c.noNewPrivs)
	}
	return c.ambient
}

// readCaps reads cfkd's sets for capability bit; an error reads as not
// held.
func readCaps(bit int) capSets {
	var c capSets
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if unix.Capget(&hdr, &data[0]) == nil {
		mask := uint32(1) << (bit % 32)
		c.effective = data[bit/32].Effective&mask != 0
		c.permitted = data[bit/32].Permitted&mask != 0
		c.inheritable = data[bit/32].Inheritable&mask != 0
	}
	if r, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(bit), 0, 0, 0); err == nil {
		c.bounding = r == 1
	}
	if r, err := unix.PrctlRetInt(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_IS_SET, uintptr(bit), 0, 0); err == nil {
		c.ambient = r == 1
	}
	if r, err := unix.PrctlRetInt(unix.PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0); err == nil {
		c.noNewPrivs = r == 1
	}
	if r, err := unix.PrctlRetInt(unix.PR_GET_SECUREBITS, 0, 0, 0, 0); err == nil {
		c.noRoot = r&(1<<secureNoRoot) != 0
	}
	return c
}

// secureNoRoot is SECURE_NOROOT's bit of the securebits (linux/securebits.h).
const secureNoRoot = 0
