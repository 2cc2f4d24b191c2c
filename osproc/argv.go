package osproc

import "github.com/cfk/cfk/internal/cmdline"

// Argv turns a service command into the argv to exec (REFERENCE §2.6):
// cmdline.Argv, which messages uses too, to compare commands.
func Argv(s string, argv []string) ([]string, error) { return cmdline.Argv(s, argv) }

// NeedsShell reports whether s must run as `/bin/sh -c s`: cmdline.NeedsShell.
func NeedsShell(s string) bool { return cmdline.NeedsShell(s) }
