// Package cmdline turns a declared command (a `cmd` string, or its JSON
// array form) into the argv that is exec'd (REFERENCE §2.6): a plain word
// list split as sh would, anything else run by `/bin/sh -c`.
//
// Model: two pure functions, Argv and NeedsShell, with no I/O. osproc
// launches what Argv returns; messages compares two declarations by it,
// so that two spellings of one argv are one command (REFERENCE §1.4).
//
// Invariants: NeedsShell lets through only strings that go-shellwords
// splits exactly as sh does (osproc's tests ask sh itself); every doubt
// goes to sh, the direct exec being only a saving.
package cmdline
