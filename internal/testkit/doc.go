// Package testkit is test support shared by the tests of several packages:
// a Recorder of the state changes an actor tree publishes on its event
// stream, with waits and expectations over them.
//
// It is imported only by _test.go files; production code never imports it.
package testkit
