// Package certs is the public key infrastructure of a cfk fleet
// (REFERENCE §12.2): one CA, and one certificate per member whose subject
// says who it is (CN, the member's name) and what it is (OU, its role:
// hub or host). It makes the files of a small fleet (`cfkctl fleet
// certs`: Generate), adds members to one from its CA (`cfkctl fleet
// addcert`: Issue), loads a member's files, and builds the TLS configurations of
// both ends of a fleet connection: TLS 1.3 only, a certificate from the
// fleet CA required of both sides, the role of the other side checked
// during the handshake.
//
// It has no dependency beyond the standard library, so that cfkctl can
// make certificates without linking the fleet's gRPC stack.
//
// Invariants: a private key file is written mode 0600 and never
// overwritten (Generate and Issue refuse a directory that already holds
// one of the files they would write); a certificate is accepted only when it chains to
// the fleet CA, is valid now, and names a role; the fleet's files (CA,
// certificate, key, inventory: OpenFile) are read as they are, never
// waited for: a FIFO, a device or a directory is refused, a PEM file
// past MaxPEM too.
package certs
