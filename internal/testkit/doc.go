// Package testkit is test support shared by the tests of several packages:
// a Recorder of the state changes an actor tree publishes on its event
// stream, with waits and expectations over them; a ReplyServer, the plain
// socket server the benchmarks measure cfkd's round trips against.
//
// It is imported only by tests and by the benchmark tool
// (integration/benchtable); cfkd, cfkctl and cfk-proxy never import it.
package testkit
