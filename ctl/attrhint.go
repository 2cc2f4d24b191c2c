package ctl

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/cfk/cfk/messages"
	"github.com/cfk/cfk/protocol"
)

// invalidProperty is the original's text for an unknown attribute, at the
// end of a load's or an apply's FILE:LINE: error.
var invalidProperty = regexp.MustCompile(`invalid property '([^']*)'$`)

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

// attributeHint is the line cfkctl adds to `invalid property 'ATTR'` (the
// original's text, kept) when ATTR is likely an attribute misspelt:
// `cfkctl: 'cwdd' is no attribute: did you mean 'cwd'?`; "" otherwise.
func attributeHint(err error) string {
	var (
		us  *userError
		re  *protocol.RemoteError
		msg string
	)
	switch {
	case errors.As(err, &us):
		msg = us.msg
	case errors.As(err, &re):
		msg = re.Msg
	default:
		return ""
	}
	m := invalidProperty.FindStringSubmatch(msg)
	if m == nil {
		return ""
	}
	c, ok := otherAttributes[strings.ToLower(m[1])]
	if !ok {
		c = closest(m[1], messages.AttributeNames())
	}
	if c == "" {
		return ""
	}
	return fmt.Sprintf("cfkctl: '%s' is no attribute: did you mean '%s'?", m[1], c)
}
