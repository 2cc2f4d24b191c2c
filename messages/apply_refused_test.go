package messages

import (
	"strings"
	"testing"
)

// An option of `command apply` given twice is refused, naming it, before
// DATA is read (REFERENCE §1.4): it was taken as given once, silently.
func TestParseApplyOptionTwice(t *testing.T) {
	data := EncodeApplyData("service a cmd=x\n")
	for _, tc := range []struct{ opts, word string }{
		{"dry-run dry-run", "dry-run"},
		{"prune prune", "prune"},
		{"rolling rolling", "rolling"},
		{"dry-run prune dry-run", "dry-run"},
		{"rolling dry-run prune rolling", "rolling"},
		{"prune rolling prune prune", "prune"},
	} {
		line := "command apply " + tc.opts + " " + data
		want := "apply: '" + tc.word + "' given twice"
		if st, err := Parse(line); err == nil || err.Error() != want {
			t.Errorf("%q: %+v, error %v, want %q", tc.opts, st, err, want)
		}
		// refused before DATA is decoded: a bad DATA does not hide it
		if _, err := Parse("command apply " + tc.opts + " !!!"); err == nil || err.Error() != want {
			t.Errorf("%q with a bad DATA: error %v, want %q", tc.opts, err, want)
		}
	}
}

// Every combination of the options, each once, in any order, is taken
// (REFERENCE §1.4: a dry run of prune or rolling plans what that apply
// would do).
func TestParseApplyOptionsEachOnce(t *testing.T) {
	data := EncodeApplyData("service a cmd=x\n")
	perms := [][]string{
		{}, {"dry-run"}, {"prune"}, {"rolling"},
		{"dry-run", "prune"}, {"prune", "dry-run"}, {"dry-run", "rolling"}, {"rolling", "dry-run"},
		{"prune", "rolling"}, {"rolling", "prune"},
		{"dry-run", "prune", "rolling"}, {"rolling", "prune", "dry-run"}, {"prune", "dry-run", "rolling"},
	}
	for _, p := range perms {
		line := strings.Join(append(append([]string{"command", "apply"}, p...), data), " ")
		st, err := Parse(line)
		if err != nil {
			t.Errorf("%v: %v", p, err)
			continue
		}
		a := st.(Apply)
		has := func(w string) bool { return strings.Contains(" "+strings.Join(p, " ")+" ", " "+w+" ") }
		if a.DryRun != has("dry-run") || a.Prune != has("prune") || a.Rolling != has("rolling") {
			t.Errorf("%v: %+v", p, a)
		}
	}
}

// DATA left out after options is said so, naming the last word, once the
// options are read (REFERENCE §1.4): it was refused as no base64
// (`command apply prune`: `... illegal base64 data at input byte 4`).
func TestParseApplyOptionsWithoutData(t *testing.T) {
	after := func(w string) string {
		return "apply needs the declarations after '" + w + "': command apply [dry-run] [prune] [rolling] DATA"
	}
	for _, tc := range []struct{ line, err string }{
		{"command apply dry-run", after("dry-run")},
		{"command apply prune", after("prune")},
		{"command apply rolling", after("rolling")},
		{"command apply dry-run prune rolling", after("rolling")},
		{"command apply rolling dry-run", after("dry-run")},
		{"command apply dry-run dry-run", "apply: 'dry-run' given twice"},
		{"command apply fast prune", "unknown apply option 'fast'"},
	} {
		if st, err := Parse(tc.line); err == nil || err.Error() != tc.err {
			t.Errorf("%q: %+v, error %v, want %q", tc.line, st, err, tc.err)
		}
	}
}
