package main

import (
	"fmt"
	"os"

	"github.com/cfk/cfk/daemon"
	"github.com/cfk/cfk/internal/earlysig"
	_ "github.com/cfk/cfk/internal/earlysig/catch" // first: catch the signals before the other inits
	"github.com/cfk/cfk/upgrade"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == upgrade.CheckFlag {
		earlysig.Release() // the check handles no signal
		os.Exit(daemon.CheckUpgrade(os.Args[2:], os.Stdout, os.Stderr))
	}
	if err := daemon.Run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
