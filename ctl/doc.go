// Package ctl is cfkctl, the command line client of cfkd (REFERENCE §8). The
// binary in cmd/cfkctl only calls Main.
//
// Model: one run is one command. The global flags may come anywhere on the
// line; the command checks its arguments before anything is sent, then talks
// to cfkd over one connection: requests in the command language, written
// with protocol.WriteRequest one at a time, each reply read with
// protocol.ReadReply before the next request goes out, and `exit` at the
// end. On a TCP address with a token file (--token-file, else
// $CFKCTL_TOKEN_FILE), the first line is `auth TOKEN` (REFERENCE §5.3); a
// UNIX socket never gets one (cfkd goes by the peer's credentials there).
// `apply` sends a whole config file in one request (`command apply`,
// the file's text compressed into one line) and reads back the plan with
// messages.ParseChange; refused because another apply is under way, it
// sends it again, a little later each time, within --timeout (cfkd
// queues no apply: one whose client is gone must never run), on a new
// connection when cfkd closed the one idle between two tries. Service references become selectors (NAME → `service NAME`, @TAG →
// `tag TAG`, all → `all`); a service verb sends them all in one request
// (`command stop service db service app`), which cfkd plans together,
// and one per reference to a cfkd that takes one selector a request.
//
// `events` and `tail -f` read streams (stream.go, REFERENCE §1.5): a
// connection of their own per request, which then carries only lines until
// cfkd closes it; a line ending in "\r\n" is a refusal (ERROR) or the
// loss line of a stream cfkd cut off (exit status 1), and one that is
// neither an ERROR nor JSON comes from no cfkd (a web server given for
// its address): said, nothing of it printed, exit status 1; a refusal `cfkd is
// shutting down` (a request that came as cfkd's drain began) ends it as a
// shutdown's end line does (exit status 0), and a refusal `cfkd is being
// upgraded in place: try again` (a connection accepted as an upgrade's
// drain began, its request unread) resumes it as an upgrade's end line
// does (resume.go; a tail asks again for its last lines). On a TCP
// console with tokens either may answer the `auth` that comes first: the
// stream then ends or resumes the same way (refusedAtAuth). `events` opens one
// stream per reference and prints each event once; its lines are read with
// messages.ParseEvent.
//
// `fleet` (fleet.go, REFERENCE §12.7) sends `command fleet ...` to the
// local cfkd, a hub, and prints each host's part of the reply (read with
// messages.ParseFleetLine), the host's name first; `fleet certs` makes a
// fleet's CA and certificates with package fleet/certs (the standard
// library only: cfkctl links no gRPC).
//
// Reply lines are read with the codecs of package messages, the ones cfkd
// writes them with (REFERENCE §1.6): ParseStatusLine, ParseDescLine,
// ParsePidsLine, ParseSocketLine and ParseServiceInfo (`command inspect`).
// What cfkctl prints, for humans or with --json, is built from the typed
// values they return; `status --json` asks `command inspect`, and `command
// status` of a cfkd that answers `unknown command 'inspect'`.
//
// Invariants:
//   - Exit status: 0 on success, 1 when cfkd answers ERROR, cannot be reached
//     or the conversation fails, 2 on a usage error (nothing is sent then).
//   - An ERROR from cfkd is printed on stderr exactly as cfkd wrote it, so
//     scripts can match it; cfkctl's own failures are prefixed `cfkctl: `.
//   - A reply line that its codec rejects fails the command (exit status 1,
//     `cfkctl: cfkd's reply to "REQUEST": malformed ... line: WHY`): cfkctl
//     never prints a guess. Save what a newer cfkd may add (REFERENCE
//     §1.6, §12.4): a plan line ParseChange refuses is shown as cfkd wrote
//     it (its head, if messages.ParseChangeHead reads it, counted as a
//     change; else with a note), and a fleet line of a kind cfkctl does
//     not know is shown as is, left out of --json with one note.
//   - With --json, stdout holds exactly one JSON value, also on failure
//     ({"ok":false,"error":...}; the message is on stderr too), except for
//     usage errors and help, which are for humans.
//   - Colours only when stdout is a terminal and NO_COLOR is unset.
//   - What cfkd sends is never written raw to a terminal: its control
//     characters are escaped (termsafe.go, REFERENCE §8.3), cfkctl's own
//     colours aside; into a pipe or a file it goes as cfkd sent it.
//   - No global state: everything a run reads from its surroundings (stdin,
//     stdout, stderr, environment, working directory, clock, time zone,
//     whether stdout is a terminal) comes through env, so tests replace it.
//   - Every connect and every reply is bounded by --timeout (default 5m).
package ctl
