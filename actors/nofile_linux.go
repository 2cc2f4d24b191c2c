package actors

import "golang.org/x/sys/unix"

// mayRaiseNofile says whether cfkd may raise a hard RLIMIT_NOFILE, and so
// whether a process of its own identity may: setrlimit(2) needs
// CAP_SYS_RESOURCE, which a container's root may lack. One capget(2).
func mayRaiseNofile() bool {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return false
	}
	return data[unix.CAP_SYS_RESOURCE/32].Effective&(1<<(unix.CAP_SYS_RESOURCE%32)) != 0
}
