package flagtext

import (
	"flag"
	"io"
	"testing"
	"time"
)

// Each error of the flag package is worded with the flag as the help
// names it.
func TestText(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--bogus"}, "unknown flag '--bogus'"},
		{[]string{"-x"}, "unknown flag '-x'"},
		{[]string{"--config"}, "--config needs a value"},
		{[]string{"-c"}, "-c needs a value"},
		{[]string{"--max", "x"}, `invalid value "x" for --max: want a whole number`},
		{[]string{"--max", "99999999999999999999"}, `invalid value "99999999999999999999" for --max: want a whole number`},
		{[]string{"--timeout", "x"}, `invalid value "x" for --timeout: parse error`},
		{[]string{"--json=maybe"}, `invalid value "maybe" for --json: want true or false (or no value)`},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		fs.String("config", "", "")
		fs.String("c", "", "")
		fs.Int("max", 0, "")
		fs.Duration("timeout", time.Second, "")
		fs.Bool("json", false, "")
		err := fs.Parse(tc.args)
		if err == nil {
			t.Fatalf("%q: no error", tc.args)
		}
		if got := Text(fs, err); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.args, got, tc.want)
		}
	}
}
