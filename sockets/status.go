package sockets

import (
	"strings"

	"github.com/cfk/cfk/messages"
)

// StatusLine is one line of `command sockets`, tab-separated:
//
//	name  host  port-or-path  bound|unbound  services (comma list)
//
// service is the real port once bound, else the declared service; tied
// lists the services that use the socket (tie_stdin_to or listen_sockets).
func StatusLine(cfg messages.SocketConfig, service string, bound bool, tied []string) string {
	state := "unbound"
	if bound {
		state = "bound"
	}
	return strings.Join([]string{cfg.Name, cfg.Host, service, state, strings.Join(tied, ",")}, "\t")
}
