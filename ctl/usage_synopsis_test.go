package ctl

import (
	"strings"
	"testing"
)

// The usage line of a usage error is the synopsis of `cfkctl help VERB`,
// for every command, and it names each flag that applies to the command
// alone (one that another command refuses, `-f only applies to tail`):
// `cfkctl tail` said `usage: cfkctl tail NAME`, leaving out -f and -n, and
// apply and restart their --dry-run, --prune and --rolling. A flag of
// one of fleet's subcommands alone is named in fleet's help, with its
// subcommand.
func TestUsageLineIsTheHelpsSynopsis(t *testing.T) {
	flags := [][]string{{"-f"}, {"-n", "5"}, {"--dry-run"}, {"--prune"}, {"--rolling"}, {"--binary", "/x/cfkd"},
		{"--hosts", "a"}, {"--rolling-hosts"}, {"--hub", "h=127.0.0.1:1"}, {"--host", "h=127.0.0.1:1"}}
	for _, c := range commands {
		// arguments that its check refuses before anything is sent
		var bad []string
		switch {
		case c.min > 0:
		case c.max == 0:
			bad = []string{"x"}
		default:
			bad = []string{"a b"}
		}
		r := runCtl(t, nil, runCfg{}, append([]string{c.name}, bad...)...)
		_, usage, ok := strings.Cut(r.stderr, "\nusage: cfkctl ")
		usage, _, _ = strings.Cut(usage, "\n")
		if r.code != ExitUsage || !ok {
			t.Errorf("%s %q: got %+v, want a usage error", c.name, bad, r)
			continue
		}
		h := runCtl(t, nil, runCfg{}, "help", c.name)
		synopsis, _, _ := strings.Cut(strings.TrimPrefix(h.stdout, "Usage: cfkctl [FLAGS] "), "\n")
		if h.code != ExitOK || usage != synopsis {
			t.Errorf("%s: usage line %q, help's synopsis %q", c.name, usage, synopsis)
		}
		for _, fl := range flags {
			r := runCtl(t, nil, runCfg{}, append(append(append([]string{}, fl...), c.name), bad...)...)
			msg, _, _ := strings.Cut(r.stderr, "\n")
			if strings.Contains(msg, "only appl") || strings.Contains(msg, "does not apply") {
				continue // another command's
			}
			if !strings.Contains(" "+usage+" ", " ["+fl[0]+" ") && !strings.Contains(" "+usage+" ", " ["+fl[0]+"]") &&
				!(strings.Contains(c.args, "SUBCOMMAND") && strings.Contains(h.stdout, fl[0]+" ")) {
				t.Errorf("%s: %s applies to it (%q), and its usage line %q does not name it", c.name, fl[0], msg, usage)
			}
		}
	}
}
