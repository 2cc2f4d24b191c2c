package ctl

import (
	"strconv"
	"strings"
	"syscall"

	"github.com/cfk/cfk/messages"
)

// killSignal reads a signal as kill(1) takes it, where cfkctl signal
// takes a name: a number (9) or a dash before the number or the name
// (-9, -HUP, -SIGHUP). It returns the name cfkctl signal takes (KILL),
// or false when v is no signal cfkctl signal sends (REFERENCE §1.4).
func killSignal(v string) (string, bool) {
	v = strings.TrimPrefix(v, "-")
	if sig, ok := messages.ParseSignal(v); ok {
		return messages.SignalName(sig), true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return "", false
	}
	name := messages.SignalName(syscall.Signal(n))
	if _, ok := messages.ParseSignal(name); !ok {
		return "", false
	}
	return name, true
}

// unknownSignal is the usage error of a signal cfkctl signal does not
// take, with the name meant when it is kill(1)'s number for one
// (`unknown signal '9' (did you mean 'KILL'?)`, REFERENCE §8.2).
func unknownSignal(cmd *command, v string) error {
	if name, ok := killSignal(v); ok {
		return usageErrorf(cmd, "unknown signal '%s' (did you mean '%s'?)", v, name)
	}
	return usageErrorf(cmd, "unknown signal '%s'", v)
}

// signalFlag is the usage error of an unknown flag that kill(1) would
// take for a signal, given to cfkctl signal (`cfkctl signal -9 web`,
// `-HUP`), or nil: the flag package refused it as no flag of cfkctl's,
// without a word of what was meant (REFERENCE §8.1). pos are the
// arguments before it that are not flags: the command first.
func signalFlag(typed string, pos []string) error {
	isSignal := len(pos) == 1 && pos[0] == "signal" ||
		len(pos) == 2 && pos[0] == "fleet" && pos[1] == "signal"
	if !isSignal || strings.HasPrefix(typed, "--") {
		return nil
	}
	name, ok := killSignal(typed)
	if !ok {
		return nil
	}
	return &usageError{msg: "unknown flag '" + typed + "' (did you mean '" + name + "'? cfkctl signal takes a signal's name, without a dash)", global: true}
}
