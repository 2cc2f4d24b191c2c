package messages

import (
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/cfk/cfk/internal/suggest"
)

// AttributeNames are the attributes of the service, socket and proxy
// statements, sorted, each once: what cfkctl and cfkd offer for one
// misspelt (`invalid property 'cwdd'`: cwd).
func AttributeNames() []string {
	var out []string
	for a := range serviceAttrs {
		out = append(out, string(a))
	}
	for a := range socketAttrs {
		out = append(out, string(a))
	}
	for a := range proxyAttrs {
		out = append(out, string(a))
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// invalidPropertyText is the original's text for an unknown attribute, at the
// end of an error: a declaration's, a load's or an apply's FILE:LINE:, a
// config file's.
var invalidPropertyText = regexp.MustCompile(`invalid property '([^']*)'$`)

// otherAttributes are the names supervisord's [program:x] sections and
// systemd's units give what a cfk attribute does (compared in lower case).
var otherAttributes = map[string]string{
	"command":           "cmd",                 // supervisord
	"execstart":         "cmd",                 // systemd
	"directory":         "cwd",                 // supervisord
	"workingdirectory":  "cwd",                 // systemd
	"environment":       "add_env",             // supervisord, systemd
	"environmentfile":   "env_file",            // systemd
	"autorestart":       "respawn_on_fail",     // supervisord
	"restart":           "respawn_on_fail",     // systemd
	"startsecs":         "startwait_secs",      // supervisord
	"stopwaitsecs":      "stopwait_secs",       // supervisord
	"timeoutstopsec":    "stopwait_secs",       // systemd
	"startretries":      "respawn_max_retries", // supervisord
	"stopsignal":        "stop_signal",         // supervisord
	"killsignal":        "stop_signal",         // systemd
	"exitcodes":         "success_exit_codes",  // supervisord
	"successexitstatus": "success_exit_codes",  // systemd
	"after":             "requires",            // systemd
	"depends_on":        "requires",            // docker compose
	"type":              "oneshot",             // systemd Type=oneshot
}

// AttributeMeant reads an error text that ends with `invalid property
// 'ATTR'` (the original's text, which cfkd's console keeps) and returns
// ATTR and the attribute it likely stands for: one a letter or two away
// (cwdd: cwd), one it begins or that begins it (start_wait: startwait_secs),
// or what supervisord or systemd call it (directory, ExecStart: cmd).
// meant is "" when the text is no such error or no attribute is close.
// cfkctl and cfkd each say it their way (REFERENCE §8.3, §7.4).
func AttributeMeant(msg string) (attr, meant string) {
	m := invalidPropertyText.FindStringSubmatch(msg)
	if m == nil {
		return "", ""
	}
	c, ok := otherAttributes[strings.ToLower(m[1])]
	if !ok {
		c = suggest.Closest(m[1], AttributeNames())
	}
	return m[1], c
}
