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
	// fails, "cfkd stops: ...", the warnings of a start, a reload's, a
	// log destination's) is queued, and none waits for it: a pipe whose
	// reader hangs, once full, held cfkd's exit for ever (REFERENCE
	// §7.4). The exit waits nowait.StderrBound at most for the queue,
	// then leaves the rest unsaid there.
	stderr := nowait.Stderr
	code := 0
	if len(os.Args) > 1 && os.Args[1] == upgrade.CheckFlag {
		earlysig.Release() // the check handles no signal
		code = daemon.CheckUpgrade(os.Args[2:], os.Stdout, stderr)
	} else if err := daemon.Run(os.Args[1:], os.Stdout, stderr); err != nil {
		fmt.Fprintln(stderr, daemon.StderrText(err))
		code = 1
	}
	stderr.Flush(nowait.StderrBound)
	os.Exit(code)
}
