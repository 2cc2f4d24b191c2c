// Package proxywire is the one codec of the proxy pipe protocol (REFERENCE
// §4, compat): the three line formats that cfkd and a proxy exchange, each
// encoder beside its parser, with the same checks on both sides.
//
//   - commands, cfkd → proxy (command.go): EncodeCommand, ParseCommand.
//   - status, proxy → cfkd (status.go): EncodeStatus, ParseStatus.
//   - log, proxy → cfkd (log.go): EncodeLog, ParseLogLine.
//
// And the names of the variables that hand a proxy its pipes (env.go:
// EnvCommandFd, EnvStatusFd, EnvLogFd, EnvSockPrefix).
//
// Who uses it: cfkd (package actors) encodes commands and parses status
// and log lines; a proxy (package proxyproc, cfk-proxy) parses commands
// and encodes status and log lines; the tests and fuzz targets of both
// sides drive it. It is a package of its own so that neither side owns the
// protocol: in proxyproc it would make cfkd link the proxy's runtime, in
// messages it would mix the proxy's wire types with cfkd's actor messages.
// It imports messages for one rule only, ValidName (REFERENCE §1.1), that
// the log parser checks; messages imports nothing of cfk, so there is no
// cycle, and the step from a messages.ServiceConfig to a Command is cfkd's
// (actors.startCommand).
//
// Wire format, as the original Perl proxy (ControlFreak::Proxy::Process)
// and cfkd (ControlFreak::Proxy) spoke it, one line each, "\n"-ended:
//   - commands: {"command":"start","name":N,"cmd":STRING_OR_ARRAY,"env":{...},
//     "ignore_stdout":B,"ignore_stderr":B,"tie_stdin_to":SOCKNAME,
//     "no_new_session":B} and {"command":"stop","name":N}. cfkd sends the
//     keys in that order, booleans as JSON true/false, tie_stdin_to null
//     when unset, no HTML escaping. The original cfkd sent Perl values:
//     booleans as strings ("1", "0", "") or null; ParseCommand reads them
//     with Perl's truth rules, and JSON true/false and numbers too.
//   - status: {"status":"started","name":N,"pid":P} and
//     {"status":"stopped","name":N,"pid":P,"exit_status":W}, W the raw
//     wait(2) status (0; 256 for exit 1; 9 for SIGKILL; 15 for SIGTERM).
//     The original proxy also sent "exit_status":null with started, keys
//     in Perl's hash order: accepted. A stopped whose W is no wait status
//     of a process's end (-5, 65536, a stopped process's 4991; a number
//     no int holds, or not written as an integer, kept as sent in
//     Status.NonInteger; so is one missing, null, a string that is not
//     of decimal digits, or no number at all) parses, the proxy saying
//     the process ended: Status.NoEnd says why it is none, and cfkd
//     takes it as an abnormal end said as such. A string of decimal
//     digits ("256") is its value, as for a pid.
//   - log: TYPE:NAME:MESSAGE, TYPE out or err, NAME "-" (SelfName) for the
//     proxy's own messages. Each line is at most PipeBuf bytes (EncodeLog
//     cuts a longer message into several lines), so that a line written in
//     one write is never split by the kernel.
//
// Invariants:
//   - Parsers are pure: no I/O, no global state, never panic on any input
//     (fuzzed), and match JSON keys exactly (unknown keys are ignored).
//   - A line reads back as it was written: ParseCommand(EncodeCommand(c))
//     == c for every c EncodeCommand accepts (it refuses what ParseCommand
//     would refuse), and ParseStatus(EncodeStatus(s)) == s for every valid
//     s (a known status, a name, a process id; no exit status on a
//     started), strings valid UTF-8 (other bytes are sent as U+FFFD, as
//     encoding/json does). Both are fuzzed. EncodeStatus never refuses: a
//     proxy reports what it has (cfk-proxy's last resort is a stopped with
//     pid 0, which ParseStatus refuses).
//   - The bytes are those cfkd and cfk-proxy always wrote: the wire is
//     compatible both ways with the original Perl cfkd and proxies, and
//     with the Python preload proxy.
package proxywire
