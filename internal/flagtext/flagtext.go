package flagtext

import (
	"flag"
	"fmt"
	"strings"
)

// Text is the line for err, an error of fs.Parse: `unknown flag
// '--bogus'`, `--config needs a value`, `invalid value "x" for --timeout:
// WHY` (an integer flag's `parse error`: `want a whole number`), `invalid
// value "maybe" for --json: want true or false (or no value)`.
func Text(fs *flag.FlagSet, err error) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		return fmt.Sprintf("unknown flag '%s'", Dashed(name))
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: "); ok {
		return Dashed(name) + " needs a value"
	}
	if i := strings.Index(msg, " for flag -"); strings.HasPrefix(msg, "invalid value ") && i >= 0 {
		name, rest, _ := strings.Cut(msg[i+len(" for flag "):], ":")
		if (rest == " parse error" || rest == " value out of range") && isInteger(fs, name) {
			rest = " want a whole number"
		}
		return msg[:i] + " for " + Dashed(name) + ":" + rest
	}
	if v, ok := strings.CutPrefix(msg, "invalid boolean value "); ok {
		if i := strings.LastIndex(v, " for -"); i >= 0 {
			name, _, _ := strings.Cut(v[i+len(" for "):], ":")
			return "invalid value " + v[:i] + " for " + Dashed(name) + ": want true or false (or no value)"
		}
	}
	return msg
}

// Dashed is the flag package's -name as the help writes it: --name for a
// long one, -x for a letter.
func Dashed(name string) string {
	name = strings.TrimLeft(name, "-")
	if len(name) > 1 {
		return "--" + name
	}
	return "-" + name
}

// isInteger says whether fs's flag -name holds an integer (its parse
// error says only `parse error`; a duration's says the same).
func isInteger(fs *flag.FlagSet, name string) bool {
	f := fs.Lookup(strings.TrimLeft(name, "-"))
	if f == nil {
		return false
	}
	g, ok := f.Value.(flag.Getter)
	if !ok {
		return false
	}
	switch g.Get().(type) {
	case int, int64, uint, uint64:
		return true
	}
	return false
}
