package earlysig

import (
	"os"
	"os/signal"
	"syscall"
)

// Handled are the signals cfkd handles (REFERENCE §7.3).
var Handled = []os.Signal{syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2}

var (
	caught chan os.Signal
	// ignored: which of Handled had SIG_IGN when Catch began (nohup's
	// HUP), which catching ends; nil before
	ignored map[os.Signal]bool
)

// Catch starts catching Handled, once.
func Catch() {
	if caught != nil {
		return
	}
	if ignored == nil {
		ignored = map[os.Signal]bool{}
		for _, s := range Handled {
			ignored[s] = signal.Ignored(s)
		}
	}
	caught = make(chan os.Signal, 16)
	signal.Notify(caught, Handled...)
}

// Ignored says whether s was ignored when the process began: before
// Catch, as signal.Ignored says (catching s makes it no longer ignored).
func Ignored(s os.Signal) bool {
	if ignored != nil {
		return ignored[s]
	}
	return signal.Ignored(s)
}

// Take hands over the channel Catch made, which catches still: nil when
// nothing caught (Catch not called, or the channel taken already).
func Take() chan os.Signal {
	ch := caught
	caught = nil
	return ch
}

// Release stops catching and raises again, once each, what was caught.
func Release() {
	ch := Take()
	if ch == nil {
		return
	}
	signal.Stop(ch)
	seen := map[os.Signal]bool{}
	for {
		select {
		case s := <-ch:
			if !seen[s] {
				seen[s] = true
				syscall.Kill(os.Getpid(), s.(syscall.Signal))
			}
		default:
			return
		}
	}
}
