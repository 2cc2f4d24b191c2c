// Package accountfile reads the local account files, /etc/passwd and
// /etc/group (colon-separated fields, one entry a line), for the two
// places cfkd reads them itself: the login shell of a service's user
// (osproc, REFERENCE §2.4) and the members of a user private group
// (internal/safepath, REFERENCE §7.2).
//
// Invariants: a blank line or a "#" comment is no entry; a NIS line ("+"
// or "-") is no entry either, and makes the file not complete (it does
// not say every account then); a line too long to read, or a read that
// fails, ends the reading, not complete. Nothing here resolves names
// through NSS: a directory service's accounts are not seen.
package accountfile
