package main

import (
	"fmt"
	"os"

	"github.com/cfk/cfk/daemon"
	"github.com/cfk/cfk/internal/earlysig"
	_ "github.com/cfk/cfk/internal/earlysig/catch" // first: catch the signals before the other inits
	"github.com/cfk/cfk/internal/nowait"
	"github.com/cfk/cfk/upgrade"
)

func main() {
	// each of cfkd's writes to its stderr (a flag's error, a start that
	// fails, "cfkd stops: ...", the warnings of a start) waits
	// nowait.StderrBound at most: a pipe whose reader hangs, once full,
	// held cfkd's exit for ever (REFERENCE §7.4); past it the message is
	// left unsaid there, and those that follow while it waits are
	// dropped. The one writer that cfkd's other messages to its stderr
	// (a reload's, a log destination's) go through too.
	stderr := nowait.Stderr
	if len(os.Args) > 1 && os.Args[1] == upgrade.CheckFlag {
		earlysig.Release() // the check handles no signal
		os.Exit(daemon.CheckUpgrade(os.Args[2:], os.Stdout, stderr))
	}
	if err := daemon.Run(os.Args[1:], os.Stdout, stderr); err != nil {
		fmt.Fprintln(stderr, err)
		os.Exit(1)
	}
}
