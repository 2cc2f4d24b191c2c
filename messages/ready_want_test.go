package messages

import (
	"strings"
	"testing"
)

// REFERENCE §1.1: `ready` takes `http:URL` (`http:http://127.0.0.1:8080/
// health`). A user who writes the URL alone, `ready=http://127.0.0.1:8080/
// health`, is refused, and the error tells them the wanted form is
// `http://URL`: the very thing they wrote. The error must name the form
// the parser takes (or the parser take the form the error names).
func TestReadyErrorNamesTheFormItTakes(t *testing.T) {
	t.Parallel()
	line := "service a ready=http://127.0.0.1:8080/health"
	_, err := Parse(line)
	if err == nil {
		return // the URL alone is taken: the error's want was right
	}
	if !strings.Contains(err.Error(), "http:URL") {
		t.Fatalf("%q: %v\nthe error does not name the form ready takes (http:URL, REFERENCE §1.1)", line, err)
	}
}
