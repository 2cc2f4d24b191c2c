// Package printable escapes text that is quoted back to a user (an
// error naming a bad line of a file cfkd reads: its config file, a fleet
// inventory) so that a terminal or a log gets no raw control bytes.
//
// Model: pure functions, String and Line (String of each tab-separated
// field, the tabs kept), Unambiguous (String, a \ written \\), Shown
// (what is printable); no I/O. Invariant:
// String's result holds only printable UTF-8; each byte that is not
// UTF-8, and each byte of a character that is not printable (a NUL, an
// escape sequence, a bidirectional override), is written \xNN. Printable
// text comes back byte for byte, its spaces and joiners included (a \
// too, but from Unambiguous).
package printable
