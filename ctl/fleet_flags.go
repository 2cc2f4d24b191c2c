package ctl

import (
	"strconv"
	"strings"
)

// --hosts and --rolling-hosts are given once (REFERENCE §12.7): the flag
// package took the last --hosts and dropped the others, where the hub
// refuses `hosts=` twice (§12.3). These values count how often each is
// given, and fleetPrefix refuses what the hub would.

// countedString is a string flag that counts how often it is set.
type countedString struct {
	s *string
	n *int
}

func (v countedString) String() string {
	if v.s == nil {
		return ""
	}
	return *v.s
}

func (v countedString) Set(s string) error {
	*v.s = s
	*v.n++
	return nil
}

// countedBool is a bool flag (no value needed) that counts how often it is
// set.
type countedBool struct {
	b *bool
	n *int
}

func (v countedBool) String() string {
	if v.b == nil {
		return "false"
	}
	return strconv.FormatBool(*v.b)
}

func (v countedBool) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	*v.b = b
	*v.n++
	return nil
}

func (v countedBool) IsBoolFlag() bool { return true }

// fleetPrefix is `command fleet` with the words of --hosts and
// --rolling-hosts (for restart), or the usage error of flags the hub
// would refuse: either given twice, an empty --hosts or an empty entry in
// it (REFERENCE §12.3, §12.7).
func fleetPrefix(o *options, cmd *command, sub string) (string, error) {
	switch {
	case o.hostsGiven > 1:
		return "", usageErrorf(cmd, "--hosts given twice: give one list, comma-separated (--hosts a,b)")
	case o.rollingHostsGiven > 1:
		return "", usageErrorf(cmd, "--rolling-hosts given twice")
	case o.rollingHosts && sub != "restart":
		return "", usageErrorf(cmd, "--rolling-hosts only applies to fleet restart")
	case o.hostsGiven > 0 && (sub == "certs" || sub == "addcert"):
		return "", usageErrorf(cmd, "--hosts does not apply to fleet %s", sub)
	}
	prefix := "command fleet"
	if o.hostsGiven > 0 {
		if o.hosts == "" {
			return "", usageErrorf(cmd, "--hosts needs host names or @tags: --hosts NAME,@TAG,...")
		}
		for _, h := range strings.Split(o.hosts, ",") {
			if h == "" {
				return "", usageErrorf(cmd, "empty host name in --hosts %s (host names and @tags, comma separated)", o.hosts)
			}
			if !isWord(h) {
				return "", usageErrorf(cmd, "invalid host reference '%s'", h)
			}
		}
		prefix += " hosts=" + o.hosts
	}
	if o.rollingHosts {
		prefix += " rolling-hosts"
	}
	return prefix, nil
}
