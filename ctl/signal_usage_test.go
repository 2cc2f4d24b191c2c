package ctl

import (
	"strings"
	"testing"
)

// An unknown signal is a usage error, found before anything is sent
// (REFERENCE §8.2, §8.3): exit status 2, as the other checks of the
// arguments. It was 1, cfkd's ERROR's status.
func TestUnknownSignalIsAUsageError(t *testing.T) {
	f := newFakeServer(t, map[string]string{})
	for _, sig := range []string{"FOO", "TERMINATE"} {
		r := runCtl(t, f, runCfg{}, "signal", sig, "web1")
		if r.code != ExitUsage || !strings.Contains(r.stderr, "unknown signal '"+sig+"'") {
			t.Errorf("signal %s: exit %d, stderr %q; want %d and unknown signal", sig, r.code, r.stderr, ExitUsage)
		}
	}
	if got := f.requests(); len(got) != 0 {
		t.Errorf("sent %q", got)
	}
}

// A signal as kill(1) takes it, a number or a name after a dash, is
// refused with the name cfkctl signal takes (REFERENCE §8.1, §8.2):
// `cfkctl signal -9 web1` said `unknown flag '-9'` and `signal 9 web1`
// `unknown signal '9'`, without a word of what to give. Nothing is sent;
// a number that is no signal cfkctl sends, or a dash number given to
// another command (tail -20), gets no such hint.
func TestKillStyleSignalIsHinted(t *testing.T) {
	f := newFakeServer(t, map[string]string{})
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"signal", "-9", "web1"}, "cfkctl: unknown flag '-9' (did you mean 'KILL'? cfkctl signal takes a signal's name, without a dash)\n"},
		{[]string{"signal", "-HUP", "web1"}, "cfkctl: unknown flag '-HUP' (did you mean 'HUP'? cfkctl signal takes a signal's name, without a dash)\n"},
		{[]string{"--json", "signal", "-sigterm", "@web"}, "cfkctl: unknown flag '-sigterm' (did you mean 'TERM'? cfkctl signal takes a signal's name, without a dash)\n"},
		{[]string{"fleet", "signal", "-1", "web1"}, "cfkctl: unknown flag '-1' (did you mean 'HUP'? cfkctl signal takes a signal's name, without a dash)\n"},
		{[]string{"signal", "9", "web1"}, "cfkctl: unknown signal '9' (did you mean 'KILL'?)\n"},
		{[]string{"signal", "15", "web1"}, "cfkctl: unknown signal '15' (did you mean 'TERM'?)\n"},
		{[]string{"fleet", "signal", "9", "web1"}, "cfkctl: unknown signal '9' (did you mean 'KILL'?)\n"},
		{[]string{"signal", "5", "web1"}, "cfkctl: unknown signal '5'\n"},         // SIGTRAP: not one signal sends
		{[]string{"signal", "-5", "web1"}, "cfkctl: unknown flag '-5'\n"},         // the same
		{[]string{"tail", "-20", "web1"}, "cfkctl: unknown flag '-20'\n"},         // not a signal's place
		{[]string{"signal", "web1", "-9"}, "cfkctl: unknown flag '-9'\n"},         // after a service: not kill(1)'s place
		{[]string{"signal", "--KILL", "web1"}, "cfkctl: unknown flag '--KILL'\n"}, // kill(1) takes no --KILL
	} {
		r := runCtl(t, f, runCfg{}, tc.args...)
		first, _, _ := strings.Cut(r.stderr, "usage:")
		first, _, _ = strings.Cut(first, "Run ")
		if r.code != ExitUsage || first != tc.want {
			t.Errorf("cfkctl %q: exit %d, stderr %q; want %d and %q first", tc.args, r.code, r.stderr, ExitUsage, tc.want)
		}
	}
	if got := f.requests(); len(got) != 0 {
		t.Errorf("sent %q", got)
	}
}

// A reference after `all` is checked for its form as one before it
// (REFERENCE §8.2): `cfkctl stop all @@` stopped every service and exited
// 0, where `stop @@ all` was a usage error with nothing sent.
func TestReferenceAfterAllIsChecked(t *testing.T) {
	f := newFakeServer(t, map[string]string{})
	for _, args := range [][]string{
		{"stop", "all", "@@"},
		{"stop", "@@", "all"},
		{"status", "all", "a b"},
		{"signal", "HUP", "all", "--", "-x"},
		{"events", "all", "@"},
		{"desc", "web1", "all", ""},
	} {
		r := runCtl(t, f, runCfg{}, args...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, "invalid ") {
			t.Errorf("cfkctl %q: exit %d, stderr %q; want %d and the reference refused", args, r.code, r.stderr, ExitUsage)
		}
	}
	if got := f.requests(); len(got) != 0 {
		t.Errorf("sent %q", got)
	}
}
