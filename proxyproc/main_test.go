package proxyproc

import (
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/cfk/cfk/osproc"
	"github.com/sirupsen/logrus"
)

// launcher is the one Launcher of the test process (at most one may be open).
var launcher *osproc.Launcher

func TestMain(m *testing.M) {
	log := logrus.New()
	log.SetOutput(io.Discard)
	var err error
	if launcher, err = osproc.New(log); err != nil {
		fmt.Fprintln(os.Stderr, "osproc.New:", err)
		os.Exit(2)
	}
	code := m.Run()
	launcher.Close()
	os.Exit(code)
}
