// Package wire holds the messages of a cfk fleet (REFERENCE §12), generated
// from fleet.proto by protoc-gen-go and carried by protoactor-go's remote
// (gRPC) between a hub and the gateway of each host.
//
// Model: a request carries lines of the command language, as an admin
// console would; the language is the wire form, these messages only frame
// it. Request, Accepted, Answer and AnswerAck are one request's exchange;
// Subscribe, Events, EventsAck and Unsubscribe one `fleet events`
// stream's.
//
// Invariants: field 2 of every message names its sender (hub or host),
// which the receiver checks against the certificate's CN before protoactor
// decodes the message (package fleet's guard); a new message keeps that
// field there, and gets a row in the guard's routes. Every request and stream has an id the other
// side echoes; the acknowledgements (AnswerAck, EventsAck) bound what a
// host queues for a hub that stops reading (REFERENCE §12.6). Only
// fleet.proto is edited: fleet.pb.go is regenerated from it (the command
// is at the top of fleet.proto); a method of another file only marks a
// message (deadletter.go: a Request, whose lines may hold an add_env
// value, is never logged as a dead letter).
package wire
