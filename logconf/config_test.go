package logconf

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"
)

func TestParseGood(t *testing.T) {
	file := func(p string) dest { return dest{kind: destFile, path: p} }
	tests := []struct {
		name, text string
		want       func(c *Config)
	}{
		{"empty file is the default", "", func(*Config) {}},
		{"comments and blanks", "# hello\n\n   # indented\n\t\n", func(*Config) {}},
		{"level", "level = debug", func(c *Config) { c.level = logrus.DebugLevel }},
		{"level trace", "level=trace", func(c *Config) { c.level = logrus.TraceLevel }},
		{"level warn", "level = warn", func(c *Config) { c.level = logrus.WarnLevel }},
		{"level error", " level = error ", func(c *Config) { c.level = logrus.ErrorLevel }},
		{"json", "format = json", func(c *Config) { c.json = true }},
		{"text", "format = text", func(*Config) {}},
		{"inline comment", "level = warn   # trace debug info warn error", func(c *Config) { c.level = logrus.WarnLevel }},
		{"hash inside a path is not a comment", "cfkd = file:a#b.log",
			func(c *Config) { c.cfkd, c.services = file("a#b.log"), file("a#b.log") }},
		{"services follow cfkd when absent", "cfkd = stderr",
			func(c *Config) { c.cfkd, c.services = dest{kind: destStderr}, dest{kind: destStderr} }},
		{"services set apart", "cfkd = stdout\nservices = none",
			func(c *Config) { c.cfkd, c.services = dest{kind: destStdout}, dest{} }},
		{"absolute path", "services = file:/var/log/cfk.log", func(c *Config) { c.services = file("/var/log/cfk.log") }},
		{"one service", "service.web1 = file:web1.log", func(c *Config) { c.service["web1"] = file("web1.log") }},
		{"one stream", "service.web-1_x.err = stderr\nservice._a.out = none", func(c *Config) {
			c.service["web-1_x.err"] = dest{kind: destStderr}
			c.service["_a.out"] = dest{}
		}},
		{"rotation", "max_size_mb = 10\nmax_backups = 0", func(c *Config) { c.maxSizeMB, c.maxBackups = 10, 0 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse("log.config", strings.NewReader(tt.text))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			want := Default()
			tt.want(want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v, want %+v", got, want)
			}
		})
	}
}

func TestParseBad(t *testing.T) {
	tests := []struct{ text, want string }{
		{"level = info\n\nlevel = loud", `log.config:3: duplicate key "level" (first set on line 1)`},
		{"# c\n\nlevel = loud", `log.config:3: unknown level "loud"`},
		{"level = INFO", `log.config:1: unknown level "INFO"`},
		{"level = warning", `log.config:1: unknown level "warning"`},
		{"format = xml", `log.config:1: unknown format "xml"`},
		{"colour = red", `log.config:1: unknown key "colour"`},
		{"just words", `log.config:1: expected "key = value", got "just words"`},
		{"= info", `log.config:1: expected "key = value", got "= info"`},
		{"level =", `log.config:1: missing value for "level"`},
		{"level = # nothing", `log.config:1: missing value for "level"`},
		{"cfkd = syslog", `log.config:1: bad destination "syslog" (want file:PATH, stderr, stdout or none)`},
		{"cfkd = file:", `log.config:1: empty path in "file:"`},
		{"cfkd = file: cfkd.log", `log.config:1: bad destination "file: cfkd.log" (white space after "file:": write the path right after the colon, file:PATH)`},
		{"services = file:\t/var/log/x.log", `log.config:1: bad destination "file:\t/var/log/x.log" (white space after "file:": write the path right after the colon, file:PATH)`},
		{"services = /tmp/x.log", `log.config:1: bad destination "/tmp/x.log" (want file:PATH, stderr, stdout or none)`},
		{"service.9web = stderr", `log.config:1: bad key "service.9web" (want service.NAME, service.NAME.out or service.NAME.err)`},
		{"service. = stderr", `log.config:1: bad key "service." (want service.NAME, service.NAME.out or service.NAME.err)`},
		{"service.web1.log = stderr", `log.config:1: bad key "service.web1.log" (want service.NAME, service.NAME.out or service.NAME.err)`},
		{"service.web1.err.out = stderr", `log.config:1: bad key "service.web1.err.out" (want service.NAME, service.NAME.out or service.NAME.err)`},
		{"service.web1 = elsewhere", `log.config:1: bad destination "elsewhere" (want file:PATH, stderr, stdout or none)`},
		{"max_size_mb = big", `log.config:1: bad max_size_mb "big" (want a whole number >= 0)`},
		{"max_backups = -1", `log.config:1: bad max_backups "-1" (want a whole number >= 0)`},
		{"max_size_mb = -0", `log.config:1: bad max_size_mb "-0" (want a whole number >= 0)`},
		{"max_backups = +3", `log.config:1: bad max_backups "+3" (want a whole number >= 0)`},
		// a whole number too large for an int is past the bound, not "no whole number"
		{"max_size_mb = 1048577", `log.config:1: bad max_size_mb "1048577" (want a whole number from 0 to 1048576)`},
		{"max_size_mb = 99999999999999999999", `log.config:1: bad max_size_mb "99999999999999999999" (want a whole number from 0 to 1048576)`},
	}
	for _, tt := range tests {
		_, err := Parse("log.config", strings.NewReader(tt.text))
		if err == nil || err.Error() != tt.want {
			t.Errorf("Parse(%q) = %v, want %s", tt.text, err, tt.want)
		}
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("Parse(%q): %T is not a *ParseError", tt.text, err)
		}
	}
}

func TestDefaultTextParsesToDefault(t *testing.T) {
	got, err := Parse("default", strings.NewReader(DefaultText()))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, Default()) {
		t.Errorf("DefaultText parses to %+v, want %+v", got, Default())
	}
	if got.Level() != logrus.InfoLevel || got.Format() != "text" {
		t.Errorf("Level, Format = %v, %v", got.Level(), got.Format())
	}
}

func TestEnsureFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.config")
	if err := EnsureFile(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || string(b) != DefaultText() {
		t.Fatalf("content = %q, %v", b, err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", fi.Mode().Perm())
	}
	// An existing file is kept as it is.
	if err := os.WriteFile(path, []byte("level = debug\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := EnsureFile(path); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "level = debug\n" {
		t.Errorf("existing file overwritten: %q", b)
	}
	if err := EnsureFile(filepath.Join(path, "x")); err == nil {
		t.Error("EnsureFile under a regular file: no error")
	}
}
