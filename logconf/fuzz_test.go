package logconf

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParse: no input panics; an error is a *ParseError naming a line of
// the input (or a read error); an accepted config has a level and a format.
func FuzzParse(f *testing.F) {
	f.Add(DefaultText())
	for _, s := range []string{
		"level = debug\nformat = json\n",
		"cfkd = file:/var/log/cfkd.log\nservices = stderr\nservice.web.out = file:/tmp/w.log\n",
		"max_size_mb = 10\nmax_backups = 3\n",
		"level = loud\n", "level\n", "= x\n", "level = info\nlevel = debug\n",
		"service.a.b.c = stderr\n", "# only a comment\n\n", "\x00\xff=\x01",
		"service.web = file:\n", "max_size_mb = -1\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		c, err := Parse("fuzz.config", strings.NewReader(text))
		if err != nil {
			var pe *ParseError
			if errors.As(err, &pe) {
				lines := strings.Count(text, "\n") + 1
				if pe.Line < 1 || pe.Line > lines || !strings.HasPrefix(pe.Error(), "fuzz.config:") {
					t.Fatalf("error %q for a %d-line input", pe.Error(), lines)
				}
			}
			return
		}
		if c == nil || (c.Format() != "text" && c.Format() != "json") {
			t.Fatalf("accepted %q as %+v", text, c)
		}
	})
}
