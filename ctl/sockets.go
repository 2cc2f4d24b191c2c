package ctl

import (
	"fmt"
	"strings"

	"github.com/cfk/cfk/messages"
)

// socketAddress is host:port, [v6]:port or unix:PATH.
func socketAddress(l messages.SocketLine) string {
	switch {
	case l.Host == messages.HostUnix:
		return "unix:" + l.Service
	case strings.Contains(l.Host, ":"):
		return "[" + l.Host + "]:" + l.Service
	}
	return l.Host + ":" + l.Service
}

// socketJSON is a socket for --json.
type socketJSON struct {
	Name     string   `json:"name"`
	Host     string   `json:"host"`
	Service  string   `json:"service"`
	Address  string   `json:"address"`
	Bound    bool     `json:"bound"`
	Services []string `json:"services"`
	User     string   `json:"user,omitempty"` // a UNIX socket's file
	Group    string   `json:"group,omitempty"`
	Mode     string   `json:"mode,omitempty"`
}

// runSockets is `cfkctl sockets`: `STATE  NAME  ADDRESS  SERVICES` per
// socket, the state coloured on a terminal.
func runSockets(s *session, _ []string) error {
	const req = "command sockets"
	lines, err := s.call(req)
	if err != nil {
		return err
	}
	socks, err := parseReply(req, lines, messages.ParseSocketLine)
	if err != nil {
		return err
	}
	if s.opts.json {
		out := make([]socketJSON, 0, len(socks))
		for _, l := range socks {
			svcs := l.Services
			if svcs == nil {
				svcs = []string{}
			}
			out = append(out, socketJSON{Name: l.Name, Host: l.Host, Service: l.Service, Address: socketAddress(l),
				Bound: l.Bound, Services: svcs, User: l.User, Group: l.Group, Mode: l.Mode})
		}
		return writeJSON(s.env.jsonOut(), out)
	}
	color := s.color()
	for _, l := range socks {
		state := "unbound"
		if l.Bound {
			state = "bound"
		}
		padded := fmt.Sprintf("%-8s", state)
		if color && l.Bound {
			padded = paint(ansiGreen, state) + padded[len(state):]
		}
		svcs := strings.Join(l.Services, ",")
		line := fmt.Sprintf("%s %-20s %-24s %s", padded, s.safeOut(l.Name), s.safeOut(socketAddress(l)), s.safeOut(svcs))
		if file := l.File(); file != "" { // a UNIX socket's file: after the services, `-` for none
			if svcs == "" {
				line += "-"
			}
			line += "  " + s.safeOut(file)
		}
		if _, err := fmt.Fprintln(s.env.stdout, strings.TrimRight(line, " ")); err != nil {
			return err
		}
	}
	return nil
}
