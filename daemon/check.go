package daemon

import (
	"fmt"
	"io"
	"os"

	"github.com/cfk/cfk/logconf"
	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/upgrade"
	"github.com/sirupsen/logrus"
)

// CheckUpgrade is `cfkd --check-upgrade STATEFILE` (REFERENCE §13): the
// check an upgrading cfkd runs on the binary it is about to exec. It reads
// and validates the state and prints upgrade.CheckLine, exit status 0; a
// state it cannot take (a version it does not know, a corrupt file) is
// said on stderr, exit status upgrade.CheckExit. With upgrade.ArgsEnv, it
// also reads what the flags the new cfkd will run with name (token files,
// the admin group, the home's path, the fleet's certificates and
// inventory) and opens the destinations of the log configuration in force
// (creating a missing file, as the new cfkd would): one it would refuse
// refuses the upgrade now, rather than end the new cfkd after the exec,
// its services unsupervised. It touches nothing else.
func CheckUpgrade(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintf(stderr, "cfkd: usage: cfkd %s STATEFILE\n", upgrade.CheckFlag)
		return 2
	}
	st, err := upgrade.Read(args[0])
	if err != nil {
		fmt.Fprintf(stderr, "cfkd %s: %v\n", messages.Version, err)
		return upgrade.CheckExit
	}
	if v, ok := os.LookupEnv(upgrade.ArgsEnv); ok {
		flags, err := upgrade.DecodeArgs(v)
		if err == nil {
			err = checkFlags(flags, st.LogConfigText)
		}
		if err != nil {
			fmt.Fprintf(stderr, "cfkd %s: %v\n", messages.Version, err)
			return upgrade.CheckExit
		}
	}
	// the document's version: the cfkd that wrote it checks it is its own
	fmt.Fprintln(stdout, upgrade.CheckLine(messages.Version, st.Version))
	return 0
}

// checkFlags reads what flags name as serve does before it adopts
// anything (readFlags, the home's path, the log configuration in force,
// logText, then the fleet's files; REFERENCE §13.3), and says what it
// would refuse.
func checkFlags(args []string, logText string) error {
	f, err := parseFlags(args, io.Discard)
	if err != nil {
		return err
	}
	if _, _, _, err := readFlags(f); err != nil {
		return err
	}
	if err := checkHome(f.Home); err != nil {
		return err
	}
	if err := checkLogConfig(f, logText); err != nil {
		return err
	}
	log := logrus.New()
	log.SetOutput(io.Discard)
	n, err := newFleet(f.Fleet, log)
	if err != nil {
		return err
	}
	if n != nil {
		n.Stop()
	}
	return nil
}

// checkLogConfig applies text, the log configuration in force in the
// former cfkd, to a router of its own as serve will, and closes it: a
// destination the new cfkd could not open now (its directory removed or
// made writable by others since it was loaded, a FIFO nobody reads any
// more) refuses the upgrade here, rather than end the new cfkd after the
// exec. Like serve, it creates a file destination that is missing; it
// logs nothing. A state without the text (the new cfkd reads the file)
// is not checked.
func checkLogConfig(f Flags, text string) error {
	if text == "" {
		return nil
	}
	router := logconf.NewRouter(f.Home, nil, nil)
	defer router.Close()
	if _, err := router.ReloadText(f.LogConfig, []byte(text)); err != nil {
		return fmt.Errorf("cfkd: log config: %w", err)
	}
	return nil
}
