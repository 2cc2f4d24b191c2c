package testkit

// BuildFlags are the flags a test gives `go build` for the binaries it
// runs (cfkd, cfkctl, cfk-proxy), so that they are built as the test
// itself was: with -tags cfkportable under `make test-portable`
// (REFERENCE §11), with nothing otherwise.
func BuildFlags() []string {
	if portableTag {
		return []string{"-tags", "cfkportable"}
	}
	return nil
}
