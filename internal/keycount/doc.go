// Package keycount bounds what is in progress at once, per key and in
// all: the connections of one IP address (one uid on loopback) that have
// not authenticated yet on a TCP console, and the connections of one peer
// that is not admin on a console (REFERENCE §5.4), the TLS handshakes of
// one address on the fleet port (REFERENCE §12.6).
//
// Model: a Counts holds, under one mutex, a count per key and their sum.
// Take counts one more for a key if neither bound is reached (TakeWithin:
// with a bound per key given at each call); Give counts one less.
//
// Invariants: every count is positive (a key whose count falls to zero
// is forgotten, so the map holds only the keys with something in
// progress); all is the sum of the counts; a Give matches a Take that
// returned true, exactly once (its callers use a sync.Once or a defer).
// The zero value has no bound: set PerKey and InAll (0: none) before the
// first Take.
package keycount
