// Package earlysig catches the signals cfkd handles from the earliest
// moment its own code runs: the init of package catch, which cmd/cfkd
// alone imports and which depends on nothing but the standard library, so
// that it runs about 1 ms after the process began, before the package
// inits of cfkd's heavier dependencies (protobuf, prometheus, protoactor:
// about 5 ms). Until a signal is caught, a SIGTERM or SIGQUIT has the Go
// runtime's default action and ends the process: the new cfkd of an
// upgrade in place died so, its services left unsupervised, of a TERM
// sent during those inits (REFERENCE §13.5).
//
// Model: one channel, made and registered by Catch, handed once to
// whoever takes it (daemon's early signals, which hand what was caught
// over to their handlers), or released by Release (a cfkd that handles
// none of them: its --check-upgrade), which stops catching and raises
// again what was caught, so that it has its default action. Catch first
// records which signals the process began with ignored (nohup's HUP):
// Ignored says so after the catching ended it. Everything
// runs on the main goroutine, in order: init, then main.
package earlysig
