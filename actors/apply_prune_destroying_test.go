package actors

import (
	"syscall"
	"testing"
)

// An apply --prune of a file whose service requires one that another
// request is destroying was refused, `apply --prune would destroy 'db'
// and leave 'app' down`, where that apply destroys nothing (a service
// being destroyed is not in the plan: it is going, REFERENCE §1.4) and
// the same apply without prune, or its dry run, answered `no changes`.
// The refusal is for a service the prune would destroy: the prune is
// planned as the apply without it is.
func TestApplyPruneRequiringAServiceBeingDestroyed(t *testing.T) {
	t.Parallel()
	r := appOnDBHeld(t)
	db, app := r.fake.waitLaunch(t, 1).Pid, r.fake.waitLaunch(t, 2).Pid
	destroy := r.async("command destroy service db") // app first, then db
	r.expectSeq("app", stopping)
	r.fake.exit(t, app, killedBy(syscall.SIGTERM))
	r.expectSeq("app", stopped)
	r.expectSeq("db", stopping)
	r.applyOK("dry-run", depsApp, "no changes")
	r.applyOK("dry-run prune", depsApp, "no changes")
	r.applyOK("prune", depsApp, "no changes")
	r.fake.exit(t, db, killedBy(syscall.SIGTERM))
	r.reply("destroy", destroy)
	// db gone, the prune has nothing of it to destroy, and app's file runs
	r.applyOK("prune", depsApp, "no changes")
}
