//go:build cfkportable

package e2e

// portable: the binaries are built with -tags cfkportable (make
// test-portable), which makes no start-up scan for what a killed cfkd
// left (REFERENCE §11).
const portable = true
