// Package messages holds cfk's typed messages and the command language that
// is their text form.
//
// Model: one line of the language (a config file line, a `cfkctl load` line
// or an admin-socket request) parses into exactly one Statement: a
// declaration (SetServiceAttr, SetSocketAttr, SetProxyAttr), a
// ControlCommand, an Apply (`command apply`: a whole config file's
// declarations in one line, apply.go), or a Fleet (`command fleet`: a
// hub's request to its hosts, the `command` lines they run, fleet.go). Actors exchange the same values plus the commands, events
// and replies declared in commands.go, events.go and reply.go.
//
// The reply lines of status, desc, pids, sockets and inspect have one codec
// each, shared by cfkd (which writes them) and cfkctl (which reads them):
// StatusLine, DescLine, PidsLine, SocketLine (REFERENCE §1.6; line.go and
// line_*.go), FleetLine (a hub's reply, REFERENCE §12.4), ServiceInfo
// (JSON, line_info.go) and Event, the line of
// `command events` (JSON, line_event.go: one value for every kind of
// event, built from the events the actors publish by ServiceEvent,
// ProxyEvent and SocketEvent). Each is a typed value
// with Format, ParseX and Validate; ParseX(x.Format()) == x for every
// valid x, which is fuzzed. The lines of an apply's plan are Change values
// (line_plan.go), computed by PlanOf from two Declarations: sets of
// configurations compared field by field (plan.go).
//
// Naming: commands are verbs (StartService), events past tense
// (ProcessExited, ServiceStateChanged), replies end in Reply, timers in
// Elapsed.
//
// Invariants:
//   - Parse is pure: no I/O, no global state, never panics on any input (it
//     is fuzzed), and every failure is an error whose text is the one
//     REFERENCE §1.7 lists where it lists one.
//   - Values are cleaned and validated once, in the parser; a Statement that
//     Parse returns needs no further syntax checks.
//   - Messages are plain data; they are never mutated after being sent.
//   - A ParseX of a reply line is strict: a wrong field count, number or
//     state name is an error naming the field, never a guess. Save one
//     thing, on the extension lines whose last field holds no tab (the
//     sockets line, a fleet line of kind ok or host): fields after those
//     the parser knows, a newer cfkd's, are ignored, so that a field
//     added later breaks no cfkctl of today (REFERENCE §1.6, §12.4); a
//     fleet line of a kind it does not know is read as that kind and its
//     fields (FleetLine.Known false). ParseChange stays strict;
//     ParseChangeHead reads the head of a later cfkd's plan line. The
//     compat lines (status, desc, pids) keep their fields.
package messages
