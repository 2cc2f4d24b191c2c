//go:build !linux

package osproc

import "syscall"

// canPeek: no waitid WNOWAIT here (its siginfo differs by system): the
// reaper reaps with wait4(-1) under Launcher.mu, which Signal holds too.
const canPeek = false

func peekZombie() int { return 0 }

func reapZombie(int) (syscall.WaitStatus, error) { return 0, syscall.ENOSYS }

func peekExited(int) bool { return false }
