//go:build !cfkportable

package e2e

// portable: see portable_on_test.go.
const portable = false
