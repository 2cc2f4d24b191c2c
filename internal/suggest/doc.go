// Package suggest finds the name a user likely meant when they typed one
// that is not known: a command of cfkctl's, a service, an attribute
// (REFERENCE §8.2, §8.3, §7.4).
//
// Model: one pure function, Closest, over a list of names; no I/O. cfkctl
// uses it for its commands and cfkd's services, package messages for the
// attributes, which cfkctl and cfkd both name (AttributeMeant).
//
// Invariants: a suggestion is one name or none: where two names are as
// close (web1 and web2 for web), none is said.
package suggest
