// Package proxyproc will hold the proxy side of the proxy pipe protocol
// (SPEC §4): what runs inside a proxy process such as cfk-proxy. It is
// filled by the "Proxies" issue; until then the controller refuses `proxy`
// declarations with a clear error.
package proxyproc
