// Package cmdline turns a declared command (a `cmd` string, or its JSON
// array form) into the argv that is exec'd (REFERENCE §2.6): a plain word
// list split as sh would, anything else run by `/bin/sh -c`.
//
// Model: pure functions, with no I/O: Argv and NeedsShell; osproc
// launches what Argv returns; messages compares two declarations by it,
// so that two spellings of one argv are one command (REFERENCE §1.4).
// ShellScript and Execs tell whether an argv is a shell's script, and
// whether that script execs a program (keeping the shell's pid, which
// LISTEN_PID names: REFERENCE §3); they scan, never run, the script.
//
// Invariants: NeedsShell lets through only strings that go-shellwords
// splits exactly as sh does (osproc's tests ask sh itself); every doubt
// goes to sh, the direct exec being only a saving.
package cmdline
