package sockets

import (
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// somaxconn is the kernel's limit of the listen backlog, SOMAXCONN.
func somaxconn() int {
	b, err := os.ReadFile("/proc/sys/net/core/somaxconn")
	if err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && n > 0 {
			return n
		}
	}
	return unix.SOMAXCONN
}
