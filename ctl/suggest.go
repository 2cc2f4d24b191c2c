package ctl

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
	return closest(name, names)
}

// closest is the one of names that name likely misspells: the only one
// it begins (3 bytes at least) or that begins it (5 at least), else the only nearest a letter or two
// away (2 edits for a name of 5 bytes or more, else 1); "" when none is.
func closest(name string, names []string) string {
	if len(name) < 2 {
		return ""
	}
	prefixed, n := "", 0
	for _, c := range names {
		if len(name) >= 3 && len(name) < len(c) && c[:len(name)] == name ||
			len(c) >= 5 && len(c) < len(name) && name[:len(c)] == c { // respawn_on_failure
			prefixed, n = c, n+1
		}
	}
	if n == 1 {
		return prefixed
	}
	limit := 1
	if len(name) >= 5 {
		limit = 2
	}
	best, bestD, ties := "", limit+1, 0
	for _, c := range names {
		switch d := editDistance(name, c); {
		case d < bestD:
			best, bestD, ties = c, d, 1
		case d == bestD:
			ties++
		}
	}
	if ties > 1 {
		return "" // web: web1 or web2, none more than the other
	}
	return best
}

// editDistance is the number of edits from a to b, in bytes: a letter
// inserted, removed, changed, or two neighbours swapped (tial: tail).
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
