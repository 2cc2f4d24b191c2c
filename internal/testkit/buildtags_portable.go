//go:build cfkportable

package testkit

// portableTag: this test binary was built with -tags cfkportable.
const portableTag = true
