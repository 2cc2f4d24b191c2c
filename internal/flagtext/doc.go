// Package flagtext words the errors of Go's flag package for cfkd and
// cfkctl, naming a flag as their help does (REFERENCE §7.1, §8.1).
//
// Model: one pure function, Text, from the flag package's error to the
// line the tools print; no I/O.
//
// Invariants: a flag is named as the help writes it, --name for a long
// one and -x for a letter (the flag package writes -name); a value
// refused is quoted as given; an error the package does not know is
// returned as it is.
package flagtext
