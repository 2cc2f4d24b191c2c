package ctl

import (
	"fmt"
	"strings"
)

// socketLine is one line of cfkd's `command sockets`: name, host, port or
// path, bound|unbound, services (comma list), tab-separated.
type socketLine struct {
	Name, Host, Service, State, Services string
}

func parseSocketLine(line string) socketLine {
	f := tabFields(line, 5)
	return socketLine{Name: f[0], Host: f[1], Service: f[2], State: f[3], Services: f[4]}
}

// address is host:port, [v6]:port or unix:PATH.
func (l socketLine) address() string {
	switch {
	case l.Host == "unix/":
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
}

// runSockets is `cfkctl sockets`: `STATE  NAME  ADDRESS  SERVICES` per
// socket, the state coloured on a terminal.
func runSockets(s *session, _ []string) error {
	lines, err := s.call("command sockets")
	if err != nil {
		return err
	}
	if s.opts.json {
		out := make([]socketJSON, 0, len(lines))
		for _, raw := range lines {
			l := parseSocketLine(raw)
			svcs := []string{}
			for _, n := range strings.Split(l.Services, ",") {
				if n != "" {
					svcs = append(svcs, n)
				}
			}
			out = append(out, socketJSON{Name: l.Name, Host: l.Host, Service: l.Service, Address: l.address(),
				Bound: l.State == "bound", Services: svcs})
		}
		return writeJSON(s.env.stdout, out)
	}
	color := s.color()
	for _, raw := range lines {
		l := parseSocketLine(raw)
		state := fmt.Sprintf("%-8s", l.State)
		if color && l.State == "bound" {
			state = paint(ansiGreen, l.State) + state[len(l.State):]
		}
		line := fmt.Sprintf("%s %-20s %-24s %s", state, l.Name, l.address(), l.Services)
		fmt.Fprintln(s.env.stdout, strings.TrimRight(line, " "))
	}
	return nil
}
