package logconf

import (
	"strings"
	"testing"
)

// A log configuration that an editor saved with a UTF-8 byte order mark
// is read as cfkd -c reads a config file so saved: the mark is skipped.
// It refused the file, `unknown key "\ufefflevel"`, the mark invisible on
// a terminal, and at start-up stopped cfkd.
func TestParseSkipsAByteOrderMark(t *testing.T) {
	c, err := Parse("log.config", strings.NewReader("\xef\xbb\xbflevel = debug\r\nformat = json\n"))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if c.Level().String() != "debug" || c.Format() != "json" {
		t.Errorf("level %v, format %v; want debug, json", c.Level(), c.Format())
	}
	// only at the start of the file
	if _, err := Parse("log.config", strings.NewReader("level = debug\n\xef\xbb\xbfformat = json\n")); err == nil {
		t.Error("a mark on line 2 was taken")
	}
}
