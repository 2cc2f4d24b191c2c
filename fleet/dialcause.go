package fleet

import "strings"

// dialCause is what a hub adds to `cannot connect to ADDR` (§12.4) for a
// dial that failed with err (gRPC's text): the TLS handshake's failure,
// which says the member is not of this fleet; nothing for a connection
// refused or a timeout, which `cannot connect` says already.
func dialCause(err string) string {
	switch {
	case strings.Contains(err, "certificate signed by unknown authority"):
		return "TLS handshake failed: its certificate is not signed by this fleet's CA (another fleet's certificate?)"
	case strings.Contains(err, "certificate has expired or is not yet valid"):
		return "TLS handshake failed: its certificate has expired or is not yet valid"
	case strings.Contains(err, "remote error: tls: "):
		alert := err[strings.Index(err, "remote error: tls: ")+len("remote error: tls: "):]
		return "TLS handshake failed: it refused this hub's certificate (" + trimGRPC(alert) + ")"
	case strings.Contains(err, "authentication handshake failed: "):
		rest := err[strings.Index(err, "authentication handshake failed: ")+len("authentication handshake failed: "):]
		return "TLS handshake failed: " + trimGRPC(rest)
	}
	return ""
}

// trimGRPC cuts what gRPC's quoting adds after the cause.
func trimGRPC(s string) string {
	if i := strings.IndexAny(s, "\"\\"); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}
