// Package protolog turns the attributes of protoactor's slog records into
// the fields of a record of cfkd's log (logrus), for the handlers that
// route protoactor's records there: the tree's (package actors) and the
// fleet's (package fleet).
//
// Invariant: a message protoactor names in a record (its attribute
// `message`: a dead letter, a message a supervisor or an endpoint could
// not handle) is written as its Go type only, never its fields. cfkd's
// messages carry what is never logged (an `add_env` value, an env_file's,
// an apply's data: REFERENCE §5.5), and protoactor prints any message it
// could not deliver, whatever its type; naming the type alone keeps every
// present and future message's values out of the log, where a marker on
// each type (IgnoreDeadLetterLogging, a String method) keeps out only the
// types someone thought of. Every other attribute is written as slog
// prints it.
package protolog
