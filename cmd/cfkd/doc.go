// Command cfkd is the cfk supervisor daemon: a thin main over package
// daemon (flags, wiring, exit code). Model and invariants are in daemon's
// doc.go.
package main
