package main

import (
	"fmt"
	"os"

	"github.com/cfk/cfk/daemon"
)

func main() {
	if err := daemon.Run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
