package ctl

import "github.com/cfk/cfk/internal/suggest"

// otherTools maps the verbs of supervisorctl, systemctl and pm2 that cfkctl
// does not have to the command that does that in cfk, so that a user who
// types what they know is told what to type (REFERENCE §8.2).
var otherTools = map[string]string{
	"log":      "tail",    // supervisorctl tail, pm2 logs
	"logs":     "tail",    // pm2 logs, docker compose logs
	"fg":       "tail",    // supervisorctl fg: tail -f
	"ls":       "status",  // pm2 ls
	"ps":       "status",  // docker compose ps
	"avail":    "list",    // supervisorctl avail
	"show":     "inspect", // systemctl show, pm2 show
	"describe": "inspect", // pm2 describe
	"info":     "inspect", // pm2 info
	"cat":      "desc",    // systemctl cat
	"reload":   "restart", // pm2 reload, systemctl reload (cfkctl signal HUP REF sends a HUP)
	"kill":     "signal",  // systemctl kill
	"delete":   "destroy", // pm2 delete
	"remove":   "destroy", // supervisorctl remove
	"reread":   "apply",   // supervisorctl reread, then update
	"update":   "apply",   // supervisorctl update
	"add":      "load",    // supervisorctl add
	"monit":    "events",  // pm2 monit
}

// unknownCommand is the usage error of a command cfkctl does not know,
// with the one it likely meant: a command a letter or two away from it
// (stats, strat), one it begins (stat, insp), or what cfk calls another
// supervisor's verb (logs: tail).
func unknownCommand(name string) error {
	if s := suggestCommand(name); s != "" {
		return usageErrorf(nil, "unknown command '%s' (did you mean '%s'?)", name, s)
	}
	return usageErrorf(nil, "unknown command '%s'", name)
}

func suggestCommand(name string) string {
	if c, ok := otherTools[name]; ok {
		return c
	}
	names := make([]string, len(commands))
	for i, c := range commands {
		names[i] = c.name
	}
	return suggest.Closest(name, names)
}
