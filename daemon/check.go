package daemon

import (
	"fmt"
	"io"

	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/upgrade"
)

// CheckUpgrade is `cfkd --check-upgrade STATEFILE` (REFERENCE §13): the
// check an upgrading cfkd runs on the binary it is about to exec. It reads
// and validates the state and prints upgrade.CheckLine, exit status 0; a
// state it cannot take (a version it does not know, a corrupt file) is
// said on stderr, exit status upgrade.CheckExit. It touches nothing else.
func CheckUpgrade(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintf(stderr, "cfkd: usage: cfkd %s STATEFILE\n", upgrade.CheckFlag)
		return 2
	}
	if _, err := upgrade.Read(args[0]); err != nil {
		fmt.Fprintf(stderr, "cfkd %s: %v\n", messages.Version, err)
		return upgrade.CheckExit
	}
	fmt.Fprintln(stdout, upgrade.CheckLine(messages.Version))
	return 0
}
